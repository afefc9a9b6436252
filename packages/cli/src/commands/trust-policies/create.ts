import { type ClaimRule, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import { parseScopes } from '../../lib/flags.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';
import { claimsLine, ttlText } from './show.js';

export const spec = defineCommand({
  options: {
    name: { flags: '-n, --name <name>', description: 'policy name (default: its subject condition)' },
    issuer: {
      flags: '--issuer <url>',
      description: 'OIDC issuer of the CI, e.g. https://token.actions.githubusercontent.com',
    },
    audience: { flags: '--audience <aud>', description: 'the `aud` the token must carry, e.g. latchkey' },
    claim: {
      flags: '--claim <claim=value...>',
      description: 'exact claim condition, repeatable (e.g. repository=acme/api)',
    },
    claimGlob: {
      flags: '--claim-glob <claim=pattern...>',
      description: 'glob claim condition (* within one /-segment, ** across), e.g. ref=refs/heads/release/*',
    },
    scope: {
      flags: '-s, --scope <scope...>',
      description: 'what the exchanged credential may do, e.g. deploy:write (never more than you)',
    },
    ttl: {
      flags: '--ttl <duration>',
      description: 'lifetime of each exchanged credential: 5m to 1h (default 15m)',
    },
  },
  help: '\nExamples:\n  latch trust-policies create --issuer https://token.actions.githubusercontent.com --audience latchkey \\\n    --claim repository=acme/api --claim ref=refs/heads/main --scope deploy:write --ttl 15m\n  latch trust-policies create --issuer https://gitlab.com --audience latchkey \\\n    --claim project_path=acme/api --claim-glob ref=release/* -s deploy:write',
});

const EXAMPLE =
  'latch trust-policies create --issuer https://token.actions.githubusercontent.com --audience latchkey --claim repository=acme/api --scope deploy:write';

function parseRules(values: string[] | undefined, glob: boolean, flag: string): ClaimRule[] {
  return (values ?? []).map((raw) => {
    const at = raw.indexOf('=');
    if (at <= 0 || at === raw.length - 1) {
      throw usageError(`${flag} "${raw}" is not claim=value.`, `Example: ${flag} repository=acme/api`);
    }
    const rule = { claim: raw.slice(0, at).trim(), value: raw.slice(at + 1) };
    return glob ? { ...rule, glob: true } : rule;
  });
}

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  if (!opts.issuer) throw usageError('--issuer is required.', `Example: ${EXAMPLE}`);
  if (!opts.audience) throw usageError('--audience is required.', `Example: ${EXAMPLE}`);
  const claims = [
    ...parseRules(opts.claim, false, '--claim'),
    ...parseRules(opts.claimGlob, true, '--claim-glob'),
  ];
  if (claims.length === 0) {
    throw usageError(
      'A trust policy needs at least one --claim, including one on who the workload is (repository, sub, project_path, …).',
      `Example: ${EXAMPLE}`,
    );
  }
  const scopes = parseScopes(opts.scope);
  if (scopes.length === 0)
    throw usageError('A trust policy needs at least one --scope.', `Example: ${EXAMPLE}`);
  const org = await resolveOrg(io);
  const policy = await io.api.call(endpoints.trustPolicies.create, {
    params: { org: org.ref },
    body: {
      issuer: opts.issuer.trim(),
      audience: opts.audience.trim(),
      claims,
      scopes,
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.ttl ? { ttl: opts.ttl.trim() } : {}),
    },
  });
  io.result(policy, (p) => p.id);
  io.note(
    `${io.err.green('✓')} Created trust policy ${io.err.bold(policy.name)} (${policy.id}) in ${org.label}: tokens from ${policy.issuer} for ${policy.audience} with ${claimsLine(policy.claims)} get ${policy.scopes.join(', ')} for ${ttlText(policy.ttlSeconds)}.`,
  );
  io.note(
    io.err.dim(
      `In CI: latch login --oidc-token-env <VAR> --org ${org.label}  (check a token first with \`latch trust-policies test --token <jwt>\`)`,
    ),
  );
}
