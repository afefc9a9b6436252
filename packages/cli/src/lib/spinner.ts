import type { Out } from './io.js';

export type Spinner = { update(message: string): void; stop(final?: string): void };

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A spinner on stderr, only on a terminal: in a pipe or CI the frames would be noise in logs, so
 * there it stays silent and only the final message (if any) is written.
 */
export function startSpinner(stderr: Out, message: string, animate: boolean): Spinner {
  let text = message;
  if (!animate) {
    return {
      update() {},
      stop(final) {
        if (final) stderr.write(`${final}\n`);
      },
    };
  }
  let frame = 0;
  let stopped = false;
  const draw = () => stderr.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`);
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  return {
    update(m) {
      text = m;
      if (!stopped) draw();
    },
    stop(final) {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stderr.write('\r\x1b[2K');
      if (final) stderr.write(`${final}\n`);
    },
  };
}
