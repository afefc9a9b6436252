import type { Env } from '../config.js';
import { isCi } from '../io.js';

export type Flow = 'browser' | 'device';

/**
 * Browser flow needs a browser on this machine. Over SSH, in CI, or on Linux without a display,
 * a loopback redirect cannot reach us from wherever the user's browser is, so use the device flow.
 * LATCH_BROWSER_CMD is an explicit statement that a browser is available.
 */
export function chooseFlow(
  opts: { device?: boolean },
  env: Env,
  platform: NodeJS.Platform = process.platform,
): Flow {
  if (opts.device) return 'device';
  if (env.LATCH_BROWSER_CMD) return 'browser';
  if (env.SSH_CONNECTION || env.SSH_TTY || isCi(env)) return 'device';
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'device';
  return 'browser';
}
