import type { ReactNode } from 'react';
import { ConfirmButton, graceWords, Table, when } from './ui.js';

/** What every token and key list shows of a credential: PATs, API keys, platform and service-account keys. */
type Credential = {
  id: string;
  name: string;
  prefix: string;
  status: string;
  expiresAt?: string | null;
  lastUsedAt: string | null;
};

/** A credential that still works: one revoked or expired has nothing left to rotate or revoke. */
export const isLive = (c: { status: string }) => c.status !== 'revoked' && c.status !== 'expired';

/** The cells every credential has, worded the same in every list. */
const CELLS = {
  Name: (c: Credential) => c.name,
  Prefix: (c: Credential) => <code>{c.prefix}</code>,
  Status: (c: Credential) => c.status,
  Expires: (c: Credential) => when(c.expiresAt),
  'Last used': (c: Credential) => when(c.lastUsedAt),
};

/** A column: one of the shared cells by its header, or a list's own as [header, cell]. */
export type CredentialColumn<T> = keyof typeof CELLS | readonly [string, (c: T) => ReactNode];

/** A list of credentials: the columns given, then an Actions cell from `actions`. */
export function CredentialTable<T extends Credential>({
  items,
  columns,
  actions,
}: {
  items: readonly T[];
  columns: readonly CredentialColumn<T>[];
  actions: (c: T) => ReactNode;
}) {
  const cells = columns.map((col) => (typeof col === 'string' ? ([col, CELLS[col]] as const) : col));
  return (
    <Table columns={[...cells.map(([header]) => header), 'Actions']}>
      {items.map((c) => (
        <tr key={c.id}>
          {cells.map(([header, cell]) => (
            <td key={header}>{cell(c)}</td>
          ))}
          <td className="actions">{actions(c)}</td>
        </tr>
      ))}
    </Table>
  );
}

/**
 * A live key's Rotate and Revoke, each confirmed naming the key. Rotating shows the new secret
 * once; the replaced one keeps working for `grace` (the confirmation says how long).
 */
export function RotateRevoke<K extends { token: string; name: string }>({
  named,
  grace,
  revokeConfirm,
  run,
  rotate,
  revoke,
  show,
  what,
  onChange,
}: {
  /** The key as the rotate confirmation names it. */
  named: string;
  grace: string;
  revokeConfirm: string;
  run: (action: () => Promise<unknown>) => Promise<boolean>;
  rotate: () => Promise<K>;
  revoke: () => Promise<unknown>;
  show: (shown: { token: string; what: string }) => void;
  /** How the one-time panel names the rotated key. */
  what: (key: K) => string;
  onChange: () => void;
}) {
  return (
    <>
      <ConfirmButton
        label="Rotate"
        confirm={`Rotate ${named}? Its current secret keeps working for ${graceWords(grace)}.`}
        onConfirm={() =>
          run(async () => {
            const key = await rotate();
            show({ token: key.token, what: what(key) });
            onChange();
          })
        }
      />
      <ConfirmButton
        label="Revoke"
        confirm={revokeConfirm}
        onConfirm={() =>
          run(async () => {
            await revoke();
            onChange();
          })
        }
      />
    </>
  );
}
