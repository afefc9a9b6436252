import { describe, expect, it } from 'vitest';
import { DEVICE_GRANT, deviceSignIn } from '../src/lib/auth/device.js';
import { createApi } from '../src/lib/client.js';
import { CliError } from '../src/lib/exit.js';
import { startSpinner } from '../src/lib/spinner.js';
import { useFakeApi } from './helpers.js';

const fake = useFakeApi();

/** Scripts the token endpoint's answers in order; the device-code answer is fixed. */
async function fakeDeviceServer(answers: string[], device: { interval?: number; expires_in?: number } = {}) {
  const api = await fake((req) => {
    if (req.path === '/oauth/device/code') {
      return {
        body: {
          device_code: 'dev-code-1',
          user_code: 'BCDF-GHJK',
          verification_uri: 'http://fake/device',
          verification_uri_complete: 'http://fake/device?user_code=BCDF-GHJK',
          expires_in: device.expires_in ?? 300,
          interval: device.interval ?? 5,
        },
      };
    }
    const next = answers.shift() ?? 'authorization_pending';
    if (next === 'token')
      return { body: { access_token: 'lk_pat_x', token_type: 'Bearer', expires_in: 100 } };
    return { status: 400, body: { error: next, error_description: `desc of ${next}` } };
  });
  return api;
}

/** A clock that only moves when the flow sleeps, so the schedule is tested without waiting. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

function flow(url: string, time: ReturnType<typeof fakeTime>, notes: string[] = []) {
  return deviceSignIn({
    api: createApi({ apiUrl: url }),
    deviceName: 'laptop',
    note: (s) => notes.push(s),
    spinner: (m) => startSpinner({ write: () => true }, m, false),
    sleep: time.sleep,
    now: time.now,
  });
}

describe('device flow', () => {
  it('shows the code, polls at the interval and returns the token', async () => {
    const api = await fakeDeviceServer(['authorization_pending', 'authorization_pending', 'token']);
    const time = fakeTime();
    const notes: string[] = [];
    const grant = await flow(api.url, time, notes);
    expect(grant.access_token).toBe('lk_pat_x');
    expect(time.sleeps).toEqual([5000, 5000, 5000]);
    expect(notes.join('\n')).toContain('BCDF-GHJK');
    expect(notes.join('\n')).toContain('http://fake/device');
    const start = api.seen[0]!;
    expect(start.form?.get('client_id')).toBe('latch-cli');
    expect(start.form?.get('device_name')).toBe('laptop');
    const poll = api.seen[1]!;
    expect(poll.form?.get('grant_type')).toBe(DEVICE_GRANT);
    expect(poll.form?.get('device_code')).toBe('dev-code-1');
    expect(poll.form?.get('client_id')).toBe('latch-cli');
  });

  it('slow_down adds 5 seconds to the interval, for good', async () => {
    const api = await fakeDeviceServer(['slow_down', 'authorization_pending', 'slow_down', 'token']);
    const time = fakeTime();
    await flow(api.url, time);
    expect(time.sleeps).toEqual([5000, 10000, 10000, 15000]);
  });

  it('expired_token ends with a clear message to log in again', async () => {
    const api = await fakeDeviceServer(['authorization_pending', 'expired_token']);
    const err = (await flow(api.url, fakeTime()).catch((e: unknown) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(`${err.message} ${err.hint}`).toBe(
      'The code expired before it was approved. Run `latch login` again.',
    );
    expect(err.exitCode).toBe(1);
  });

  it('gives up when the code lifetime (at most 5 minutes) has passed', async () => {
    const api = await fakeDeviceServer([], { expires_in: 900, interval: 5 });
    const time = fakeTime();
    const err = (await flow(api.url, time).catch((e: unknown) => e)) as CliError;
    expect(err.code).toBe('EXPIRED_TOKEN');
    expect(time.now()).toBe(300_000);
    expect(time.sleeps).toHaveLength(60);
  });

  it('access_denied says the sign-in was denied', async () => {
    const api = await fakeDeviceServer(['access_denied']);
    const err = (await flow(api.url, fakeTime()).catch((e: unknown) => e)) as CliError;
    expect(err.message).toBe('Sign-in was denied in the browser.');
    expect(err.exitCode).toBe(1);
  });

  it('an unexpected OAuth error is reported with the server description', async () => {
    const api = await fakeDeviceServer(['invalid_client']);
    const err = (await flow(api.url, fakeTime()).catch((e: unknown) => e)) as CliError;
    expect(err.message).toContain('desc of invalid_client');
  });
});
