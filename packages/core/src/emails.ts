import { Email } from './contract/common.js';

/**
 * The one form of an email address that Latchkey stores, looks up, compares and rate limits by:
 * trimmed, ASCII only, A–Z lowered. Null for anything that is not an email address.
 *
 * Non-ASCII addresses are refused rather than folded. Unicode case mapping is not one function:
 * JavaScript lowers the Kelvin sign (U+212A) to `k` and `İ` (U+0130) to `i̇`, PostgreSQL's lower()
 * does whatever the cluster's locale says (some fold `İ` to plain `i`), NFKC turns `ｏ` and `ﬁ`
 * into ASCII. Each of those is a second spelling of someone's address that can get its own
 * rate-limit budget or reach their account. With ASCII only there is exactly one spelling per
 * address, and SQL compares the stored form exactly.
 */
export function normaliseEmail(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const parsed = Email.safeParse(input);
  return parsed.success ? parsed.data : null;
}
