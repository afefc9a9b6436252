import { colorEnabled, colors } from './color.js';
import type { CommandModule } from './command.js';
import { type FailureContext, failureJson, renderFailure, toFailure } from './errors.js';
import { usageError } from './exit.js';
import { createIo, type GlobalOptions } from './io.js';

/**
 * Runs one command: loads its module, builds the io object, and turns whatever it throws into
 * the message and exit code the user sees (through the one mapping in errors.ts).
 */
export async function execute(
  mod: CommandModule,
  opts: Record<string, unknown>,
  globals: GlobalOptions,
): Promise<void> {
  let ctx: FailureContext = {};
  try {
    checkRequiredArgs(mod, opts);
    if (mod.spec.bare) {
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

/**
 * `latch api-keys revoke ""` (an unset shell variable) must not become a request to
 * `/api-keys/`: a required argument that is empty or blank is a usage error.
 */
export function checkRequiredArgs(mod: CommandModule, opts: Record<string, unknown>): void {
  for (const [key, arg] of Object.entries(mod.spec.args ?? {})) {
    const value = opts[key];
    if (!arg.syntax.startsWith('<') || typeof value !== 'string' || value.trim() !== '') continue;
    const name = arg.syntax.replace(/[<>]/g, '');
    throw usageError(
      `The ${name} argument is empty.`,
      `Give the ${name} (${arg.description}); an empty value often means an unset shell variable.`,
    );
  }
}
