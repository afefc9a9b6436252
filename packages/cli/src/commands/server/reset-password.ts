import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError, usageError } from '../../lib/exit.js';
import { loadServer } from './load.js';

export const spec = defineCommand({
  args: {
    email: { syntax: '<email>', description: 'email of the account' },
  },
  options: {
    dataDir: { flags: '--data-dir <dir>', description: 'data folder of an embedded database' },
  },
  help: [
    '',
    'For servers that send no email (no LATCH_SMTP_URL); with mail, people reset their own from the',
    'sign-in page. The database is found as for rotate-master-key; the link uses LATCH_PUBLIC_URL.',
    '',
    'Example:',
    '  DATABASE_URL=… LATCH_PUBLIC_URL=https://latch.example.com latch server reset-password ann@example.com',
  ].join('\n'),
  bare: true,
});

type Issued = { link: string; email: string; expiresAt: string; database: string };
type Resetting = {
  resetPasswordCommand(opts: { email: string; dataDir?: string }): Promise<Issued>;
};

/**
 * `latch server reset-password <email>`: prints a one-time link that lets that account choose a
 * new password, for an operator to hand over (the way to reset one when the server sends no mail).
 * Runs next to the database, like rotate-master-key.
 */
export async function run(opts: OptionsOf<typeof spec>): Promise<void> {
  const email = opts.email.trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw usageError(`"${email}" is not an email address.`, 'Usage: latch server reset-password <email>');
  }
  const server = (await loadServer()) as unknown as Resetting;
  let issued: Issued;
  try {
    issued = await server.resetPasswordCommand({ email, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
  } catch (err) {
    // Start-up style errors are written for operators: show them as they are.
    if ((err as Error).name === 'StartupError') throw new CliError((err as Error).message);
    throw err;
  }
  // The link alone on stdout, so it can be captured; the explanation on stderr.
  process.stdout.write(`${issued.link}\n`);
  process.stderr.write(
    [
      `A one-time password-reset link for ${issued.email} (${issued.database}), valid until ${issued.expiresAt}.`,
      'Give it to them over a channel you trust: whoever opens it first can set the password.',
      'Earlier reset links for this account no longer work.',
      '',
    ].join('\n'),
  );
}
