import fs from 'node:fs';

// The one WebAssembly API used here (Node's types leave WebAssembly to the DOM library).
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };

/**
 * Write buffers ("arenas") are this size: a 1 MiB binary message (a 1.4 MB line) fits one; a line
 * that needs more gets a buffer of its own.
 */
export const ARENA_BYTES = 2 * 1024 * 1024;
/**
 * Aligned arenas kept for reuse: memory the process has not touched before must be faulted in,
 * which cost more than the base64 encoding itself when arenas were allocated anew. The session
 * log keeps within them (a due batch that would take the last spare one waits for one to come
 * back), so they bound its memory; with 200 connections up to six batches were in flight, and
 * batches made to wait there cost CPU (bench/README.md, record 24).
 */
const POOL_ARENAS = 8;
/**
 * Direct I/O moves whole blocks of this size, at file offsets that are multiples of it. The
 * partial blocks at either end of a write go through the page cache, and a page is never written
 * both ways: 64 KiB covers every page size Linux uses.
 */
export const BLOCK = 64 * 1024;
/**
 * Writes with less than this in whole blocks go through the page cache: each direct write waits
 * for the device, and for the small batches of small messages that cost more than the copy it
 * saves (64-byte messages: about 7% fewer per second with every batch's blocks written directly).
 */
export const DIRECT_MIN = 1024 * 1024;
/** Direct I/O needs the memory it writes from aligned to the device's logical block: a page is enough. */
const MEMORY_ALIGN = 4096;

/**
 * An append-only file written at explicit offsets, for the session log. A session log can grow
 * by hundreds of MB a second, written once and rarely read back at once, so the whole blocks of
 * each large write (DIRECT_MIN) bypass the page cache (O_DIRECT) where the file system allows it:
 * copying them into freshly allocated cache pages cost more kernel time than the rest of the proxy put together
 * (about 5 ms of the 7.7 ms of CPU per echoed 1 MiB message on the benchmark machine). The bytes,
 * and what any reader sees once a write completes, are the same either way; where direct I/O is
 * refused (tmpfs on older kernels, some FUSE and network file systems, an unaligned buffer) the
 * write goes through the page cache, and after one refused write every later one does.
 */
export class LogFile {
  /** A second descriptor on the same file, opened with O_DIRECT; null when direct I/O is not used. */
  private direct: number | null;
  /** The memory arenas are cut from: page-aligned when direct I/O is used. */
  private readonly pool: ArrayBuffer;
  private readonly freeArenas: Buffer[] = [];
  /** Direct descriptors given up on: they may still have writes in flight, so they close with the file. */
  private readonly refused: number[] = [];
  private pending = 0;
  /** Set by `close`: where an error closing the file goes, once the last write has settled. */
  private closing: ((err: Error) => void) | null = null;
  private closed = false;

  private constructor(private readonly fd: number, direct: number | null) {
    const aligned = direct === null ? null : alignedMemory(POOL_ARENAS * ARENA_BYTES);
    if (direct !== null && aligned === null) fs.closeSync(direct);
    this.direct = aligned && direct;
    // Untouched pages of the pool take no memory: an arena costs what has been written into it.
    this.pool = aligned ?? new ArrayBuffer(POOL_ARENAS * ARENA_BYTES);
    for (let i = 0; i < POOL_ARENAS; i++) this.freeArenas.push(Buffer.from(this.pool, i * ARENA_BYTES, ARENA_BYTES));
  }

  /** Creates the file, never overwriting one (`EEXIST`); throws the file system's error. `direct: false` never uses direct I/O. */
  static create(path: string, options: { direct?: boolean } = {}): LogFile {
    const fd = fs.openSync(path, 'wx', 0o644);
    return new LogFile(fd, options.direct === false ? null : openDirect(path, fd));
  }

  /** Whether whole blocks are being written with direct I/O (false once it was refused). */
  get directIo(): boolean {
    return this.direct !== null;
  }

  /**
   * An arena to fill and write: page-aligned when it can be. Bytes meant for file offset `p`
   * should sit at arena index `p % BLOCK` + a multiple of BLOCK, so that whole blocks line up.
   */
  arena(): Buffer {
    // The session log never asks with none spare (its batches wait for one); a caller that does gets a buffer of its own.
    return this.freeArenas.pop() ?? Buffer.allocUnsafe(ARENA_BYTES);
  }

  /** Arenas free for the next batch. */
  get spareArenas(): number {
    return this.freeArenas.length;
  }

  /** Takes back an arena whose write has completed. */
  release(arena: Buffer): void {
    if (arena.buffer === this.pool) this.freeArenas.push(arena);
  }

  /** Writes all of `data` at offset `at`; `done` gets the first error, after every part has settled. */
  write(data: Buffer, at: number, done: (err: Error | null) => void): void {
    const parts = this.parts(data, at);
    let left = parts.length;
    let failure: Error | null = null;
    if (left === 0) return done(null);
    for (const [from, to, direct] of parts) {
      this.writeFrom(data.subarray(from, to), at + from, 0, direct ? this.direct : null, (err) => {
        failure ??= err;
        if (--left === 0) done(failure);
      });
    }
  }

  /** Writes all of `data` at offset `at`, now. Throws the file system's error. */
  writeSync(data: Buffer, at: number): void {
    for (const [from, to, direct] of this.parts(data, at)) {
      const part = data.subarray(from, to);
      if (direct) {
        try {
          writeAllSync(this.direct!, part, at + from);
          continue;
        } catch {
          this.refuseDirect(); // the same bytes through the page cache, which reports any real error
        }
      }
      writeAllSync(this.fd, part, at + from);
    }
  }

  /**
   * Closes the file once no write still uses it (a closed descriptor's number can be reused by
   * another file); an error closing it goes to `onError`. Writes after this don't continue a short write.
   */
  close(onError: (err: Error) => void): void {
    this.closing ??= onError;
    this.closeWhenIdle();
  }

  /**
   * `data` as the writes it takes, `[from, to, direct]`: the whole blocks inside it go direct when
   * they sit at page-aligned addresses and add up to DIRECT_MIN; the bytes before and after them,
   * or all of it, go through the page cache.
   */
  private parts(data: Buffer, at: number): Array<[number, number, boolean]> {
    let head = 0;
    let tail = 0;
    if (this.direct !== null && data.buffer === this.pool && (data.byteOffset - at) % MEMORY_ALIGN === 0) {
      head = Math.ceil(at / BLOCK) * BLOCK - at;
      tail = Math.floor((at + data.length) / BLOCK) * BLOCK - at;
      if (tail - head < DIRECT_MIN) head = tail = 0;
    }
    const parts: Array<[number, number, boolean]> = [[0, head, false], [head, tail, true], [tail, data.length, false]];
    return parts.filter(([from, to]) => from < to);
  }

  /** `fs.write` (on `direct`, or else the ordinary descriptor) until every byte is written: a short write (a full disk) goes on with the rest, so it ends in an error, not a silent gap. */
  private writeFrom(data: Buffer, at: number, done: number, direct: number | null, settle: (err: Error | null) => void): void {
    this.pending++;
    fs.write(direct ?? this.fd, data, done, data.length - done, at + done, (err, written) => {
      this.pending--;
      if (err && direct !== null) {
        // Refused (or failed) as direct I/O: the same bytes through the page cache, which reports any real error.
        this.refuseDirect();
        this.writeFrom(data, at, done, null, settle);
      } else if (!err && written === 0) settle(new Error('no bytes written'));
      else if (!err && !this.closing && done + written < data.length) this.writeFrom(data, at, done + written, direct, settle);
      else settle(err);
      this.closeWhenIdle();
    });
  }

  private refuseDirect(): void {
    if (this.direct !== null) this.refused.push(this.direct);
    this.direct = null;
  }

  private closeWhenIdle(): void {
    if (!this.closing || this.closed || this.pending > 0) return;
    this.closed = true;
    for (const fd of [...this.refused, ...(this.direct === null ? [] : [this.direct]), this.fd]) {
      try {
        fs.closeSync(fd);
      } catch (err) {
        this.closing(err as Error);
      }
    }
  }
}

/** A second, O_DIRECT descriptor on the file `fd` just created, or null where the system doesn't offer one. */
function openDirect(path: string, fd: number): number | null {
  const O_DIRECT = fs.constants.O_DIRECT;
  if (!O_DIRECT) return null;
  let direct: number;
  try {
    direct = fs.openSync(path, fs.constants.O_WRONLY | O_DIRECT);
  } catch {
    return null;
  }
  // The path could name another file by now: only the one created counts.
  const a = fs.fstatSync(fd);
  const b = fs.fstatSync(direct);
  if (a.dev === b.dev && a.ino === b.ino) return direct;
  fs.closeSync(direct);
  return null;
}

/**
 * `bytes` of page-aligned memory. JavaScript can't ask for an alignment, but a WebAssembly
 * memory is mapped pages of its own. Null where WebAssembly is unavailable (`--jitless`) or the
 * address space is limited.
 */
function alignedMemory(bytes: number): ArrayBuffer | null {
  try {
    const pages = bytes / (64 * 1024);
    return new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer;
  } catch {
    return null;
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
