import { describe, expect, it } from 'vitest';
import { loggerOptions } from '../src/runtime/logger.js';

const sink = (isTTY: boolean) => {
  const lines: string[] = [];
  return { lines, out: { isTTY, write: (s: string) => lines.push(s) } };
};

describe('latch server logs', () => {
  it('are human lines on a terminal and JSON lines otherwise', () => {
    const tty = sink(true);
    const pretty = loggerOptions('production', 'info', tty.out) as { stream?: { write(s: string): void } };
    expect(pretty.stream).toBeDefined();
    pretty.stream!.write(
      `${JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 12), msg: 'disk almost full' })}\n`,
    );
    expect(tty.lines.join('')).toMatch(/^\d\d:\d\d:\d\d warn disk almost full\n$/);

    const piped = sink(false);
    expect((loggerOptions('production', 'info', piped.out) as { stream?: unknown }).stream).toBeUndefined();
    expect((loggerOptions('dev', 'info', piped.out) as { stream?: unknown }).stream).toBeDefined();
  });
});
