import fs from 'node:fs';
import readline from 'node:readline';
import { messageLineParts, parseLogLine, recordLine, type LogRecord } from '../core/session-record.js';

/** Pending lines are written once they reach this many bytes or lines, or after FLUSH_MS. */
const FLUSH_BYTES = 256 * 1024;
const FLUSH_LINES = 512;
/** Lines shorter than this are joined and encoded once per batch; longer ones become a buffer each (no join copy). */
const SMALL_LINE = 4096;
/** How long a record may wait to be written: the log trails the capture by at most this. */
const FLUSH_MS = 10;

/** Bytes written to the file in one call: its lines, at a fixed offset. */
interface Chunk {
  parts: Buffer[];
  length: number;
  at: number;
}

/**
 * Appends records to a JSONL session log. Lines are batched (every FLUSH_MS at most) and written
 * with one `writev` at explicit file offsets, so a synchronous flush at exit (SIGINT, SIGTERM,
 * uncaught error) can't interleave with a write in flight: every line lands whole.
 */
export class SessionLogWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Short lines not yet encoded, and their count of characters. */
  private small: string[] = [];
  private smallChars = 0;
  private position = 0;
  private timer: NodeJS.Timeout | null = null;
  private failed: Error | null = null;
  private closed = false;
  /** Asynchronous writes not yet completed: `closeSync` writes them again, and the fd stays open until they finish. */
  private readonly inFlight = new Set<Chunk>();
  private fdClosed = false;

  private constructor(readonly path: string, private readonly fd: number, private readonly onError: (err: Error) => void) {}

  /** Creates the file; never overwrites one that exists. Throws a one-line Error on failure. */
  static create(path: string, onError: (err: Error) => void): SessionLogWriter {
    let fd: number;
    try {
      fd = fs.openSync(path, 'wx', 0o644);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') throw new Error(`${path} already exists; wspeek never overwrites a session log (choose another name or remove it)`);
      throw new Error(`cannot create session log ${path}: ${e.message}`);
    }
    return new SessionLogWriter(path, fd, onError);
  }

  write(record: LogRecord): void {
    if (this.failed || this.closed) return;
    if (record.type === 'message' && record.base64 !== undefined && record.base64.length >= SMALL_LINE) {
      // A large binary payload goes out as its own buffer: base64 is ASCII, so latin1 encodes it as a plain copy.
      const [head, base64, tail] = messageLineParts(record);
      this.encodeSmall();
      this.push(Buffer.from(head, 'utf8'));
      this.push(Buffer.from(base64, 'latin1'));
      this.push(Buffer.from(`${tail}\n`, 'utf8'));
    } else {
      const line = `${recordLine(record)}\n`;
      if (line.length < SMALL_LINE) {
        this.small.push(line);
        this.smallChars += line.length;
      } else {
        this.encodeSmall();
        this.push(Buffer.from(line, 'utf8'));
      }
    }
    if (this.pendingBytes + this.smallChars >= FLUSH_BYTES || this.small.length + this.pending.length >= FLUSH_LINES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes what is pending, asynchronously. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const chunk = this.take();
    if (!chunk) return;
    this.inFlight.add(chunk);
    fs.writev(this.fd, chunk.parts, chunk.at, (err, written) => {
      // A short write (a full disk) goes on with the rest, so it ends in an error, not a silent gap.
      if (!err && !this.closed && written > 0 && written < chunk.length) return this.writeRest(chunk, Buffer.concat(chunk.parts, chunk.length), written);
      this.settle(chunk, err, written);
    });
  }

  private writeRest(chunk: Chunk, data: Buffer, done: number): void {
    fs.write(this.fd, data, done, data.length - done, chunk.at + done, (err, written) => {
      if (!err && !this.closed && written > 0 && done + written < data.length) return this.writeRest(chunk, data, done + written);
      this.settle(chunk, err, written);
    });
  }

  private settle(chunk: Chunk, err: Error | null, written: number): void {
    this.inFlight.delete(chunk);
    // Once closed, closeSync has written this chunk again synchronously: this write's outcome no longer matters.
    if (this.closed) return this.closeWhenIdle();
    if (err) this.fail(err);
    else if (written === 0) this.fail(new Error('no bytes written'));
  }

  /** Writes what is pending now and closes the file: for exit paths. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const chunk = this.take();
    try {
      if (!this.failed) {
        // Writes in flight may not have landed yet (or may never, at exit): the same bytes again at the same offsets.
        for (const c of this.inFlight) writeAllSync(this.fd, Buffer.concat(c.parts, c.length), c.at);
        if (chunk) writeAllSync(this.fd, Buffer.concat(chunk.parts, chunk.length), chunk.at);
      }
    } catch (err) {
      this.fail(err as Error);
    }
    this.closeWhenIdle();
  }

  /** Closes the fd once no asynchronous write still uses it (a closed fd number can be reused by another file). */
  private closeWhenIdle(): void {
    if (this.fdClosed || this.inFlight.size > 0) return;
    this.fdClosed = true;
    try {
      fs.closeSync(this.fd);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private push(data: Buffer): void {
    this.pending.push(data);
    this.pendingBytes += data.length;
  }

  /** The short lines so far as one buffer, in their place among the pending ones. */
  private encodeSmall(): void {
    if (this.small.length === 0) return;
    this.push(Buffer.from(this.small.join(''), 'utf8'));
    this.small = [];
    this.smallChars = 0;
  }

  /** The pending lines as the next chunk, placed at the end of the file. */
  private take(): Chunk | null {
    this.encodeSmall();
    if (this.pending.length === 0) return null;
    const chunk: Chunk = { parts: this.pending, length: this.pendingBytes, at: this.position };
    this.position += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    return chunk;
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.pending = [];
    this.small = [];
    this.onError(new Error(`writing session log ${this.path} failed: ${err.message}; capture goes on in memory`));
  }
}

/** `fs.writeSync` until every byte is written: a short write (a full disk) goes on, so it ends in an error, not a silent gap. */
function writeAllSync(fd: number, data: Buffer, at: number): void {
  for (let done = 0; done < data.length; ) {
    const written = fs.writeSync(fd, data, done, data.length - done, at + done);
    if (written === 0) throw new Error('no bytes written');
    done += written;
  }
}

export interface LogReadResult {
  records: number;
  /** Lines that could not be read, 1-based, with why. */
  problems: Array<{ line: number; error: string }>;
  /** The file ended in the middle of a record (an interrupted write). */
  tornLastLine: boolean;
}

/** Streams a session log's records to `onRecord`; unknown record types are skipped. */
export async function readSessionLog(path: string, onRecord: (r: LogRecord) => void): Promise<LogReadResult> {
  const stream = fs.createReadStream(path, { encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  const result: LogReadResult = { records: 0, problems: [], tornLastLine: false };
  let n = 0;
  let lastInvalid: { line: number; error: string } | null = null;
  for await (const line of lines) {
    n++;
    if (lastInvalid) result.problems.push(lastInvalid);
    lastInvalid = null;
    const parsed = parseLogLine(line);
    if (parsed.kind === 'record') {
      result.records++;
      onRecord(parsed.record);
    } else if (parsed.kind === 'invalid') {
      lastInvalid = { line: n, error: parsed.error };
    }
  }
  if (lastInvalid) {
    // Only the last line can be torn by an interrupted write; anywhere else it is damage.
    const size = fs.statSync(path).size;
    const endsWithNewline = size > 0 && (await lastByte(path, size)) === 0x0a;
    result.tornLastLine = !endsWithNewline;
    result.problems.push(lastInvalid);
  }
  return result;
}

async function lastByte(path: string, size: number): Promise<number> {
  const fh = await fs.promises.open(path, 'r');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 1);
    return b[0]!;
  } finally {
    await fh.close();
  }
}
