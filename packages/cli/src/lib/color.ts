import pc from 'picocolors';
import type { Env } from './config.js';

export type Colors = ReturnType<typeof pc.createColors>;

/**
 * One palette per stream: picocolors' default decides once from process.stdout, but stdout and
 * stderr can differ (`latch pats list | jq` keeps colour on stderr only).
 */
export function colors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

/** NO_COLOR (any non-empty value) wins; otherwise colour only a terminal, and never a dumb one. */
export function colorEnabled(env: Env, isTTY: boolean): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return isTTY && env.TERM !== 'dumb';
}
