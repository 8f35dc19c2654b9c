/** Past this many pending characters the batch goes out at once. */
const MAX_PENDING = 64 * 1024;

export interface BatchedOutput {
  write(text: string): void;
  /** Writes what is pending now (before exit). */
  flush(): void;
}

/**
 * Collects text for a stream and writes it once per event-loop turn: a line per message,
 * but one write call per batch (stdout to a file or /dev/null is written synchronously).
 */
export function batchedOutput(out: { write(text: string): unknown }): BatchedOutput {
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
  };
}
