/**
 * Polls `fn` (sync or async) every 50 ms until it gives a truthy value, and throws once
 * `timeoutMs` has passed without one. An async `fn` is awaited: its promise, always truthy, must
 * never count as the answer. One helper for the server, SDK and end-to-end tests.
 */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
