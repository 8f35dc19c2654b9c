import fs from 'node:fs';
import zlib from 'node:zlib';
import { isPacketCapture } from '../../core/capture/pcap-reader.js';
import { NotAHarFile, openHarFile } from './har-file.js';
import { readKeyLogFile } from './key-log-file.js';
import { openPcapFile } from './pcap-file.js';
import { NotASessionLog, openSessionLog, type SessionLogFile } from './session-log.js';

/** What `wspeek open` may need to read a capture file beyond its bytes. */
export interface CaptureFileOptions {
  /** An NSS key log (`--keylog`) for TLS inside a packet capture. */
  keylog?: string;
  /** A packet capture's reading progress: bytes of the file read, and its size. */
  onProgress?: (read: number, total: number) => void;
}

/** The first bytes that tell a file's format. */
const SNIFF_BYTES = 16;
/** gzip's magic (RFC 1952 §2.3.1). */
const GZIP = [0x1f, 0x8b];
/** Compressed bytes read to look inside a gzip file. */
const GZIP_SNIFF_BYTES = 64 * 1024;

/**
 * Opens a file `wspeek open` can read, whatever wrote it, by its first bytes (not its name): a
 * wspeek session log, a pcap or pcapng packet capture (gzip-compressed or not), or a HAR file (JSON
 * that is not a session log). Every format is read as records, so it is shown, filtered and saved
 * as a live capture would be. Throws NotASessionLog, saying what the file is not, for anything else,
 * and for `keylog` with a file that is not a packet capture; KeyLogFileError when the key log can't be read.
 */
export async function openCaptureFile(path: string, options: CaptureFileOptions = {}): Promise<SessionLogFile> {
  const head = readHead(path, SNIFF_BYTES);
  if (head.length === 0) throw new NotASessionLog(`${path} is not a wspeek session log: it is empty`);
  const gzip = !isPacketCapture(head);
  if (!gzip || (head[0] === GZIP[0] && head[1] === GZIP[1] && isPacketCapture(gunzippedHead(path)))) {
    const keyLog = options.keylog === undefined ? null : { file: options.keylog, log: readKeyLogFile(options.keylog) };
    return openPcapFile(path, { gzip, keyLog, onProgress: options.onProgress });
  }
  if (options.keylog !== undefined) throw new NotASessionLog(`--keylog decrypts TLS in packet captures (pcap, pcapng); ${path} is not one`);
  if (firstNonSpace(head) !== 0x7b) return openSessionLog(path);
  try {
    return await openSessionLog(path);
  } catch (err) {
    if (!(err instanceof NotASessionLog)) throw err;
    try {
      return await openHarFile(path);
    } catch (harErr) {
      if (harErr instanceof NotAHarFile) throw new NotASessionLog(`${err.message}; nor a HAR file: ${harErr.why}`);
      throw harErr;
    }
  }
}

/** The first byte that is not JSON whitespace, past a UTF-8 byte order mark; -1 if none. */
function firstNonSpace(head: Buffer): number {
  const start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  for (let i = start; i < head.length; i++) if (![0x20, 0x09, 0x0a, 0x0d].includes(head[i]!)) return head[i]!;
  return -1;
}

/** The first bytes inside a gzip file (as many as its first compressed bytes give). */
function gunzippedHead(path: string): Buffer {
  try {
    return zlib.gunzipSync(readHead(path, GZIP_SNIFF_BYTES), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

function readHead(path: string, bytes: number): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, fs.readSync(fd, buf, 0, bytes, 0));
  } finally {
    fs.closeSync(fd);
  }
}
