import fs from 'node:fs';
import readline from 'node:readline';
import { RecordLineEncoder, recordLineCapacity } from '../../core/log/record-line.js';
import { type LogRecord } from '../../core/log/records.js';
import { SessionLogReader } from '../../core/log/parse-line.js';
import { ARENA_BYTES, BLOCK, LogFile } from './log-file.js';
import { writeNewFile } from './new-file.js';

/** A batch is written once it holds this many bytes, or after FLUSH_MS. */
const FLUSH_BYTES = 256 * 1024;
/** How long a record may wait to be written: the log trails the capture by at most this, unless its writes are behind (see `due`). */
const FLUSH_MS = 10;
/**
 * Past this many bytes in writes not yet completed (a disk slower than the traffic), batches are
 * written synchronously: the capture slows down instead of memory growing. Nothing is dropped.
 * (Batches in the arenas are bounded by the arenas first: see `due`; this bounds lines larger than an arena.)
 */
const MAX_IN_FLIGHT = 32 * 1024 * 1024;

/** Bytes written to the file in one call: encoded lines, at a fixed offset. */
interface Chunk {
  data: Buffer;
  at: number;
  /** The arena `data` lies in, given back once written. */
  arena: Buffer;
}

/**
 * Appends records to a JSONL session log. Lines are encoded directly into reusable buffers
 * (no joined strings, no buffer per line) and a batch goes out (every FLUSH_MS at most, while the
 * writes keep up) with one write at an explicit file offset, so a synchronous flush at exit
 * (SIGINT, SIGTERM, uncaught error) can't interleave with a write in flight: every line lands whole.
 */
export class SessionLogWriter {
  private arena: Buffer | null = null;
  /** Where this batch starts in `arena`, and how far it is filled. */
  private start = 0;
  private used = 0;
  private position = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The batch is due, but waits (growing) for an arena to come back: see `due`. */
  private held = false;
  private failed: Error | null = null;
  private closed = false;
  /** Asynchronous writes not yet completed: `closeSync` writes them again. */
  private readonly inFlight = new Set<Chunk>();
  private readonly encoder = new RecordLineEncoder();
  private inFlightBytes = 0;

  private constructor(readonly path: string, private readonly file: LogFile, private readonly onError: (err: Error) => void) {}

  /**
   * Creates the file; never overwrites one that exists. Throws a one-line Error on failure.
   * `direct: false` keeps every write in the page cache (see LogFile).
   */
  static create(path: string, onError: (err: Error) => void, options: { direct?: boolean } = {}): SessionLogWriter {
    let file: LogFile;
    try {
      file = LogFile.create(path, options);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') throw new Error(`${path} already exists; wspeek never overwrites a session log (choose another name or remove it)`);
      throw new Error(`cannot create session log ${path}: ${e.message}`);
    }
    return new SessionLogWriter(path, file, onError);
  }

  write(record: LogRecord): void {
    if (this.failed || this.closed) return;
    const buf = this.room(recordLineCapacity(record) + 1);
    if (!buf) return; // writing failed (and said so): nothing more goes to the file
    const end = this.encoder.encode(record, buf, this.used);
    buf[end] = 0x0a;
    this.used = end + 1;
    if (this.used - this.start >= FLUSH_BYTES) this.due();
    else this.timer ??= setTimeout(() => this.due(), FLUSH_MS);
  }

  /**
   * The batch is due (FLUSH_BYTES, FLUSH_MS): it goes now, unless that would leave no arena for
   * the next one. Then the writes are behind (the disk, or the thread pool, slower than the
   * traffic): the batch goes on filling its arena, and goes once a write in flight gives an arena
   * back, or is written synchronously when its arena is full (`room`). So batches never need
   * memory beyond the arenas (a line larger than an arena has a buffer of its own, bounded by
   * MAX_IN_FLIGHT): allocating more when they ran out (with 1 MiB messages) raised the peak RSS
   * and the collector's work (bench/README.md, record 24).
   */
  private due(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held = this.file.spareArenas === 0 && this.inFlight.size > 0;
    if (!this.held) this.flush();
  }

  /** A buffer with at least `bytes` free after `used`: the current arena, or (after a flush) another; null once writing failed. */
  private room(bytes: number): Buffer | null {
    if (this.arena && this.used + bytes <= this.arena.length) return this.arena;
    // With no arena spare the writes are behind (see `due`): this batch is written now, and its arena, back in the pool, taken again.
    this.flush(this.file.spareArenas === 0);
    if (this.failed) return null;
    // The batch starts at the arena index its file offset has within a block, so whole blocks line up for direct I/O.
    const lead = this.position % BLOCK;
    this.arena = lead + bytes <= ARENA_BYTES ? this.file.arena() : Buffer.allocUnsafe(lead + bytes);
    this.start = this.used = lead;
    return this.arena;
  }

  /** Writes what is pending: asynchronously, or synchronously (`now`, or when too much is already in flight). */
  private flush(now = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held = false;
    const chunk = this.take();
    if (!chunk) return;
    if (now || this.inFlightBytes + chunk.data.length > MAX_IN_FLIGHT) {
      try {
        this.file.writeSync(chunk.data, chunk.at);
        this.file.release(chunk.arena);
      } catch (err) {
        this.fail(err as Error);
      }
      return;
    }
    this.inFlight.add(chunk);
    this.inFlightBytes += chunk.data.length;
    this.file.write(chunk.data, chunk.at, (err) => this.settle(chunk, err));
  }

  private settle(chunk: Chunk, err: Error | null): void {
    this.inFlight.delete(chunk);
    this.inFlightBytes -= chunk.data.length;
    // Once closed, closeSync has written this chunk again synchronously: this write's outcome no longer matters.
    if (this.closed) return;
    if (err) this.fail(err);
    else this.file.release(chunk.arena);
    // A batch held for an arena goes once one is back (a line's own buffer coming back frees none).
    if (this.held && this.file.spareArenas > 0) this.flush();
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
        for (const c of this.inFlight) this.file.writeSync(c.data, c.at);
        if (chunk) this.file.writeSync(chunk.data, chunk.at);
      }
    } catch (err) {
      this.fail(err as Error);
    }
    this.file.close((err) => this.fail(err));
  }

  /** The filled part of the current arena as the next chunk, placed at the end of the file. */
  private take(): Chunk | null {
    const arena = this.arena;
    if (!arena || this.used === this.start) return null;
    const chunk: Chunk = { data: arena.subarray(this.start, this.used), at: this.position, arena };
    this.position += this.used - this.start;
    this.arena = null;
    this.start = this.used = 0;
    return chunk;
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held = false;
    this.arena = null;
    this.start = this.used = 0;
    this.onError(new Error(`writing session log ${this.path} failed: ${err.message}; capture goes on in memory`));
  }
}

/**
 * Writes `records` as a new session log at `file` (never over an existing file): for a view saved
 * from the UI. Returns `file`; throws a one-line Error that names it.
 */
export function writeViewLog(records: LogRecord[], file: string): string {
  const encoder = new RecordLineEncoder();
  return writeNewFile(file, records.map((r) => `${encoder.line(r)}\n`).join(''));
}

export interface LogReadResult {
  records: number;
  /**
   * What could not be read, with why: `line` (1-based) in a file read by lines, absent where the
   * error says where itself (a HAR entry, a packet); `source` names the file when it is not the
   * one opened (a key log).
   */
  problems: Array<{ line?: number; error: string; source?: string }>;
  /** The file ended in the middle of a record (an interrupted write). */
  tornLastLine: boolean;
}

/** A file `wspeek open` can't read as a session log, said in one line for the user. */
export class NotASessionLog extends Error {}

/** A session log whose first line has been checked: its records are read with `read`. */
export interface SessionLogFile {
  /**
   * Streams the log's records to `onRecord`; unknown record types are skipped. `pace`, when it
   * returns a promise (the output is behind), is waited for before more of the file is read, so
   * memory stays bounded whatever the file's size and however slow the output's reader.
   */
  read(onRecord: (r: LogRecord) => void, pace?: () => Promise<void> | null): Promise<LogReadResult>;
}

/**
 * Opens a session log and checks that it starts with wspeek's session record, before anything
 * is shown: throws NotASessionLog for an empty file or any other file, and the file system's
 * error when it can't be read.
 */
export async function openSessionLog(path: string): Promise<SessionLogFile> {
  const stream = fs.createReadStream(path, { encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const reader = new SessionLogReader();
  let n = 0;
  let session: LogRecord | null = null;
  while (session === null) {
    const next = await lines.next();
    if (next.done) {
      stream.destroy();
      throw new NotASessionLog(`${path} is not a wspeek session log: it is empty`);
    }
    n++;
    const parsed = reader.read(next.value);
    if (parsed.kind === 'not-a-log') {
      stream.destroy();
      throw new NotASessionLog(`${path} is not a wspeek session log: ${parsed.why}`);
    }
    // Past the blank lines, the reader lets only the session record through.
    if (parsed.kind === 'record') session = parsed.record;
  }
  const firstLine = n;
  const first = session;
  return {
    async read(onRecord, pace) {
      const result: LogReadResult = { records: 1, problems: [], tornLastLine: false };
      onRecord(first);
      let line = firstLine;
      let lastInvalid: { line: number; error: string } | null = null;
      for (let next = await lines.next(); !next.done; next = await lines.next()) {
        if ((line & 1023) === 0) await pace?.();
        line++;
        if (lastInvalid) result.problems.push(lastInvalid);
        lastInvalid = null;
        const parsed = reader.read(next.value);
        if (parsed.kind === 'record') {
          result.records++;
          onRecord(parsed.record);
        } else if (parsed.kind === 'invalid') {
          lastInvalid = { line, error: parsed.error };
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
    },
  };
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
