import fs from 'node:fs';

/** What a soak's session log holds. */
export interface LogCounts {
  bytes: number;
  lines: number;
  /** Message records of kind text (the soak's messages; the closing handshake adds close messages). */
  textMessages: number;
  /** Frame records with opcode 1. */
  textFrames: number;
  endsWithNewline: boolean;
}

/**
 * Counts a session log's lines, text message records and text frame records in one pass. Inside
 * a JSON string every `"` is escaped, so `"kind":"text"` occurs only as a message's kind, and
 * `"opcode":1,` only as a frame's opcode. The file is read `chunkBytes` at a time.
 */
export async function countLog(file: string, chunkBytes = 4 * 1024 * 1024): Promise<LogCounts> {
  const patterns = { textMessages: Buffer.from('"kind":"text"'), textFrames: Buffer.from('"opcode":1,') };
  const counts: LogCounts = { bytes: 0, lines: 0, textMessages: 0, textFrames: 0, endsWithNewline: false };
  // Keep the tail of each chunk so a pattern split across two chunks is still seen, once.
  const carry = Math.max(patterns.textMessages.length, patterns.textFrames.length) - 1;
  let tail = Buffer.alloc(0);
  let last = -1;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
    counts.bytes += chunk.length;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) counts.lines++;
    last = chunk[chunk.length - 1]!;
    const joined = Buffer.concat([tail, chunk]);
    for (const [key, pattern] of Object.entries(patterns) as Array<[keyof typeof patterns, Buffer]>) {
      // A match wholly inside `tail` was counted with the previous chunk.
      for (let i = joined.indexOf(pattern); i !== -1; i = joined.indexOf(pattern, i + 1)) {
        if (i + pattern.length > tail.length) counts[key]++;
      }
    }
    tail = joined.subarray(Math.max(0, joined.length - carry));
  }
  counts.endsWithNewline = last === 0x0a;
  return counts;
}
