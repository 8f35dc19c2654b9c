/** Past this many pending characters the batch goes out at once. */
const MAX_PENDING = 64 * 1024;
/** Bytes the stream may hold unwritten (a slow pipe's reader) before `drained` asks a producer to wait. */
const MAX_BEHIND = 8 * 1024 * 1024;

export interface BatchedOutput {
  write(text: string): void;
  /** Writes what is pending now (before exit). */
  flush(): void;
  /**
   * A promise to wait for before producing more, when the stream holds more than MAX_BEHIND
   * bytes it could not write yet (its reader is slower than wspeek); null when it keeps up.
   */
  drained(): Promise<void> | null;
}

/**
 * Collects text for a stream and writes it once per event-loop turn: a line per message,
 * but one write call per batch (stdout to a file or /dev/null is written synchronously).
 */
export function batchedOutput(out: { write(text: string): unknown; writableLength?: number; once?(event: 'drain', listener: () => void): unknown }): BatchedOutput {
  let pending: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    out.write(text);
  };
  return {
    write(text: string) {
      pending.push(text);
      size += text.length;
      if (size >= MAX_PENDING) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    drained() {
      if ((out.writableLength ?? 0) <= MAX_BEHIND || !out.once) return null;
      return new Promise((resolve) => out.once!('drain', resolve));
    },
  };
}
