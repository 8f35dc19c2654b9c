// Bounded waiting: every wait in the network tests has a deadline, so a bug fails a test instead of hanging it.

/** The default bound, in ms, on one step of a network test. */
export const STEP_MS = 5000;

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects when `p` takes longer than `ms`. */
export function within<T>(p: Promise<T>, what: string, ms = STEP_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `cond` every `pollMs` until it holds; rejects after `ms`. */
export async function waitUntil(what: string, cond: () => boolean, ms = STEP_MS, pollMs = 5): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}
