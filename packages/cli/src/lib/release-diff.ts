import { describeReleaseDiff, type ReleaseDiff } from '@latchkey/core';
import type { Colors } from './color.js';

/** A release diff as coloured lines (+ added, ~ changed, - removed): names and versions only. */
export function diffLines(c: Colors, diff: ReleaseDiff): string[] {
  return describeReleaseDiff(diff).map((line) => {
    const paint = line.startsWith('+') ? c.green : line.startsWith('-') ? c.red : c.yellow;
    return `  ${paint(line)}`;
  });
}
