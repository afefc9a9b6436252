/**
 * A value now, or later. The hottest paths (a cached credential, a cached key) answer without a
 * promise, so a hit costs no microtask; only a miss goes asynchronous.
 */
export type Maybe<T> = T | Promise<T>;

/** Cheaper than `instanceof Promise`, which walks the prototype chain of every plain answer. */
export function isPromise<T>(value: Maybe<T>): value is Promise<T> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * `next(value)` at once for a value, after it for a promise. (Not named `then`: a module that
 * exports `then` is itself a thenable to `import()`.)
 */
export function andThen<T, U>(value: Maybe<T>, next: (v: T) => Maybe<U>): Maybe<U> {
  return isPromise(value) ? value.then(next) : next(value);
}
