export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Settles with `promise`, or rejects with a {@link TimeoutError} after `ms`.
 *
 * When the timer fires, the verdict waits for one more turn of the event loop's poll phase
 * (`setImmediate`): under heavy load a loop iteration can take longer than `ms`, and timers run
 * before the poll phase reads the sockets, so an answer that arrived in time may still be
 * unread. Without this, a busy process would call a healthy Redis late and send the work to
 * Postgres, making itself busier still.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new TimeoutError(ms));
      });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
