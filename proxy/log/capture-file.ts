import fs from 'node:fs';
import { NotASessionLog, openSessionLog, type SessionLogFile } from './session-log.js';

/** What `wspeek open` may need to read a capture file beyond its bytes. */
export interface CaptureFileOptions {
  /** An NSS key log (`--keylog`) for TLS inside a packet capture. */
  keylog?: string;
}

/** The first bytes that tell a file's format. */
const SNIFF_BYTES = 16;

/**
 * Opens a file `wspeek open` can read, whatever wrote it, by its first bytes (not its name): a
 * wspeek session log. Every format is read as records, so it is shown, filtered and saved as a
 * live capture would be. Throws NotASessionLog, saying what the file is not, for anything else.
 */
export async function openCaptureFile(path: string, _options: CaptureFileOptions = {}): Promise<SessionLogFile> {
  const head = readHead(path);
  if (head.length === 0) throw new NotASessionLog(`${path} is not a wspeek session log: it is empty`);
  return openSessionLog(path);
}

function readHead(path: string): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    return buf.subarray(0, fs.readSync(fd, buf, 0, SNIFF_BYTES, 0));
  } finally {
    fs.closeSync(fd);
  }
}
