import type { LeafSpec } from '../registry.js';
import { colorEnabled, colors } from './color.js';
import { type FailureContext, failureJson, renderFailure, toFailure } from './errors.js';
import { createIo, type GlobalOptions } from './io.js';

/**
 * Runs one command: loads its module, builds the io object, and turns whatever it throws into
 * the message and exit code the user sees (through the one mapping in errors.ts).
 */
export async function execute(
  spec: LeafSpec,
  opts: Record<string, unknown>,
  globals: GlobalOptions,
): Promise<void> {
  let ctx: FailureContext = {};
  try {
    const mod = await spec.load();
    if (spec.bare) {
      // `latch dev`/`latch server` must start even with a broken config file: they get no io.
      await mod.run(opts, undefined as never);
      return;
    }
    const io = createIo(globals);
    ctx = {
      apiUrl: io.context.apiUrl,
      tokenSource: io.context.tokenSource,
      tokenExpiresAt: io.config.data.tokenExpiresAt ?? null,
      storedLoginFor: io.context.storedLoginFor,
    };
    await mod.run(opts, io);
  } catch (err) {
    const failure = toFailure(err, ctx);
    if (process.env.LATCH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    if (globals.json) {
      process.stderr.write(`${failureJson(failure)}\n`);
    } else {
      const c = colors(colorEnabled(process.env, Boolean(process.stderr.isTTY)));
      process.stderr.write(`${c.red(renderFailure(failure))}\n`);
    }
    process.exitCode = failure.exitCode;
  }
}
