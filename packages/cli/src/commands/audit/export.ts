import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';
import { openStream } from '../../lib/stream.js';
import { sinceToIso } from './since.js';

export const spec = defineCommand({
  options: {
    since: {
      flags: '--since <when>',
      description: 'only events since a duration ago (30d, 24h) or a date-time',
    },
    actor: { flags: '--actor <who>', description: "the actor's id, email or key name" },
    action: { flags: '--action <action>', description: 'an action, or a prefix: secret.* or secret.' },
    target: { flags: '--target <target>', description: 'a target id, or type:id' },
    format: {
      flags: '--format <format>',
      description: 'the output format',
      choices: ['ndjson'],
      default: 'ndjson',
    },
  },
  help: `
Streams the audit log to stdout, oldest first, one JSON object a line (with each row's chain
hashes, so a SIEM can check it against a checkpoint); progress goes to stderr. Recorded as
audit.exported.

Examples:
  latch audit export --since 30d --format ndjson > audit.ndjson
  latch audit export --action secret.* | your-siem-upload`,
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const since = sinceToIso(opts.since);
  const org = await resolveOrg(io);
  const url = io.api.url(endpoints.audit.export, {
    params: { org: org.ref },
    query: {
      format: opts.format,
      ...(since ? { since } : {}),
      ...(opts.actor ? { actor: opts.actor } : {}),
      ...(opts.action ? { action: opts.action } : {}),
      ...(opts.target ? { target: opts.target } : {}),
    },
  });
  const body = await openStream(io, url, 'application/x-ndjson');
  const progress = io.isTTY ? (n: number) => io.stderr.write(`\r${io.err.dim(`${n} events…`)}`) : null;
  let lines = 0;
  let tail = '';
  let cut = false;
  try {
    for await (const chunk of body) {
      const text = (chunk as Buffer).toString('utf8');
      const before = lines;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
      if (text.length > 0) tail = text;
      await write(io, text);
      if (progress && Math.floor(lines / 1000) > Math.floor(before / 1000)) progress(lines);
    }
  } catch {
    cut = true; // the connection dropped mid-answer
  }
  if (progress) io.stderr.write('\r');
  // The server cuts the answer when it fails mid-stream: the last line then has no newline.
  if (cut || !body.complete || (tail !== '' && !tail.endsWith('\n'))) {
    throw new CliError(`The export was cut off after ${lines} events.`, {
      hint: 'Run it again (with --since to resume); what was written before the cut is complete lines only up to the last newline.',
    });
  }
  io.note(`Exported ${lines} audit event${lines === 1 ? '' : 's'} of ${org.label}.`);
}

/** Honours backpressure on a real stdout, so a slow pipe slows the download instead of filling memory. */
async function write(io: Io, text: string): Promise<void> {
  const out = io.stdout as { write(s: string): unknown; once?: (e: string, f: () => void) => void };
  if (out.write(text) === false && out.once) await new Promise<void>((r) => out.once!('drain', r));
}
