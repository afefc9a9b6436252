// The dashboard's only way to the server: the contract's typed client (the same endpoint table as
// the CLI), imported from core's contract sources, which are browser-safe (no node: modules).
import { ApiError, createClient, endpoints, type FetchLike } from '../../core/src/contract/index.js';

export { ApiError, endpoints };

/** The session's CSRF token, put in the page by the server; sent on every API call. */
export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="latch-csrf"]')?.content ?? '';
}

const sameOrigin: FetchLike = async (url, init) => {
  const res = await fetch(url, {
    ...init,
    headers: { ...init.headers, 'x-latch-csrf': csrfToken() },
    credentials: 'same-origin',
  });
  // The session ended (signed out elsewhere, idle): back to the sign-in page, then here again.
  if (res.status === 401) window.location.assign('/login?next=%2F');
  return res;
};

export const api = createClient({ baseUrl: window.location.origin, fetch: sameOrigin });

/** An error's message and hint, as the API gave them. */
export function describeError(err: unknown): { message: string; hint?: string | undefined; code?: string } {
  if (err instanceof ApiError) return { message: err.message, hint: err.hint, code: err.code };
  return { message: err instanceof Error ? err.message : String(err) };
}
