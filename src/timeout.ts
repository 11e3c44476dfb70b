/** The one timeout helper: a promise that rejects with the caller's error once `ms` have passed. */

/**
 * `promise`, or a rejection with `onTimeout()` after `ms`, whichever comes first. The timer is
 * cleared either way; the promise itself is not cancelled (pass an AbortSignal where the callee
 * takes one).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
