import { Writable } from 'node:stream';
import { loggerOptions } from '../../src/runtime/logger.js';

/** The production logger configuration, writing its JSON lines into `lines` for a test to read. */
export function capturedLogger(level = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: { ...loggerOptions('production', level), stream } };
}
