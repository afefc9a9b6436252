import type { Api } from '../client.js';
import { CliError } from '../exit.js';
import type { Spinner } from '../spinner.js';
import { SIGN_IN_TIMEOUT_MS } from './loopback.js';
import type { TokenGrant } from './oauth.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export type DeviceOptions = {
  api: Api;
  deviceName: string;
  note: (text: string) => void;
  highlight?: (text: string) => string;
  spinner: (message: string) => Spinner;
  /** Injected so tests run the polling schedule without waiting. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  maxWaitMs?: number;
};

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function expired(): CliError {
  return new CliError('The code expired before it was approved.', {
    hint: 'Run `latch login` again.',
    code: 'EXPIRED_TOKEN',
  });
}

/**
 * RFC 8628 device authorization: show the code, then poll the token endpoint at the server's
 * interval. `slow_down` adds 5 s to the interval for the rest of the flow (section 3.5).
 */
export async function deviceSignIn(opts: DeviceOptions): Promise<TokenGrant> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const hl = opts.highlight ?? ((s: string) => s);
  const code = await opts.api.oauth.deviceCode(opts.deviceName);

  opts.note(`First copy your one-time code: ${hl(code.user_code)}`);
  opts.note(`Then open ${code.verification_uri} in a browser and approve the sign-in.`);
  if (code.verification_uri_complete)
    opts.note(`(Or open ${code.verification_uri_complete} to skip typing it.)`);

  let intervalMs = Math.max(1, code.interval ?? 5) * 1000;
  const lifetimeMs = Math.min((code.expires_in || 300) * 1000, opts.maxWaitMs ?? SIGN_IN_TIMEOUT_MS);
  const deadline = now() + lifetimeMs;
  const spin = opts.spinner('Waiting for approval in the browser…');
  try {
    for (;;) {
      if (now() >= deadline) throw expired();
      await sleep(intervalMs);
      const answer = await opts.api.oauth.token({ grant_type: DEVICE_GRANT, device_code: code.device_code });
      if (answer.ok) return answer.grant;
      switch (answer.error) {
        case 'authorization_pending':
          break;
        case 'slow_down':
          intervalMs += 5000;
          break;
        case 'access_denied':
          throw new CliError('Sign-in was denied in the browser.', {
            hint: 'Run `latch login` again if that was a mistake.',
            code: 'ACCESS_DENIED',
          });
        case 'expired_token':
          throw expired();
        default:
          throw new CliError(`Sign-in failed (${answer.description ?? answer.error}).`, {
            hint: 'Run `latch login` again.',
            code: 'SIGN_IN_FAILED',
          });
      }
    }
  } finally {
    spin.stop();
  }
}
