import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { EXIT, usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  options: {
    token: { flags: '--token <jwt>', description: 'the OIDC token (JWT) to evaluate' },
    tokenEnv: { flags: '--token-env <var>', description: 'read the token from this environment variable' },
  },
  help: '\nExamples:\n  latch trust-policies test --token "$ACTIONS_ID_TOKEN"\n  latch trust-policies test --token-env ACTIONS_ID_TOKEN --json',
});

/** Evaluates the token against the org's policies, claim by claim; exit 1 when none would match. */
export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const token = (opts.tokenEnv ? io.env[opts.tokenEnv] : opts.token)?.trim();
  if (!token) {
    throw usageError(
      opts.tokenEnv
        ? `${opts.tokenEnv} is empty or not set.`
        : 'Pass the token with --token <jwt> or --token-env <var>.',
      'Example: latch trust-policies test --token-env ACTIONS_ID_TOKEN',
    );
  }
  const org = await resolveOrg(io);
  const answer = await io.api.call(endpoints.trustPolicies.test, {
    params: { org: org.ref },
    body: { token },
  });
  io.result(answer, (a) => {
    const c = io.out;
    const lines = [
      `Token: issuer ${a.token.issuer ?? '(none)'}, audience ${a.token.audience.join(', ') || '(none)'}, subject ${a.token.subject ?? '(none)'}, ${a.token.algorithm ?? 'no alg'}${a.token.expiresAt ? `, expires ${a.token.expiresAt}` : ''}`,
      `Signature: ${a.signature.status === 'valid' ? c.green('valid') : c.red(a.signature.status)} (${a.signature.detail})`,
    ];
    if (a.policies.length === 0) lines.push(`\nNo trust policies in ${org.label}.`);
    for (const p of a.policies) {
      lines.push(
        '',
        `${p.matched ? c.green('✓') : c.red('✗')} ${c.bold(p.name)} ${c.dim(p.id)}${p.reason ? `: ${p.reason}` : ''}`,
      );
      lines.push(
        io.table(
          ['CLAIM', 'WANTS', 'TOKEN HAS', 'OK'],
          p.checks.map((k) => [
            k.claim,
            `${k.glob ? 'glob ' : ''}${k.expected}`,
            k.actual ?? c.dim('(missing)'),
            k.ok ? c.green('yes') : c.red('no'),
          ]),
          c.dim,
        ),
      );
    }
    lines.push(
      '',
      a.matched
        ? `${c.green('→')} An exchange now would use ${c.bold(a.matched.name)} (${a.matched.id}).`
        : `${c.red('→')} No policy would accept this token now.`,
    );
    return lines.join('\n');
  });
  // The answer is printed either way; a script can still tell "no match" by the exit code.
  if (answer.matched === null) io.setExitCode(EXIT.error);
}
