import fs from 'node:fs';
import { parseKeyLog, type KeyLog } from '../../core/capture/key-log.js';
import { fsErrorReason } from '../fs-error-reason.js';

/** A key log file that can't be used, for a reason the user can fix: said in one line. */
export class KeyLogFileError extends Error {}

/**
 * Reads a key log for `wspeek open --keylog FILE`: the secrets it holds, and its lines that could
 * not be read (`problems`, each a line's number and why). Throws `KeyLogFileError` when the file can't be read.
 */
export function readKeyLogFile(path: string): KeyLog {
  try {
    return parseKeyLog(fs.readFileSync(path, 'latin1'));
  } catch (err) {
    throw new KeyLogFileError(`cannot read the key log ${path}: ${fsErrorReason(err)}`);
  }
}

/**
 * The live proxy's `--keylog FILE`: TLS secrets in the NSS key log format, one line per
 * secret as Node's `keylog` event gives it, appended as they come (so a Wireshark or
 * `wspeek open` reading the file alongside sees them at once).
 */
export class KeyLogFile {
  private fd: number | null;

  private constructor(readonly path: string, fd: number, private readonly onError: (err: Error) => void) {
    this.fd = fd;
  }

  /**
   * Opens `path` for appending, creating it with mode 0600. An existing file whose mode lets
   * its group or others read or write it is refused: these secrets decrypt the traffic.
   * Throws `KeyLogFileError`. A write that fails later closes the file and is told to `onError`, once.
   */
  static open(path: string, onError: (err: Error) => void): KeyLogFile {
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
    } catch (err) {
      throw new KeyLogFileError(`cannot open the key log ${path}: ${fsErrorReason(err)}`);
    }
    const mode = fs.fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      fs.closeSync(fd);
      throw new KeyLogFileError(`the key log ${path} has mode ${mode.toString(8).padStart(4, '0')}: others could read the TLS secrets in it; chmod 600 it, or name a new file`);
    }
    return new KeyLogFile(path, fd, onError);
  }

  /** Appends one line (Node's `keylog` lines end with their newline). A closed file takes nothing. */
  write(line: Buffer): void {
    if (this.fd === null) return;
    try {
      fs.writeSync(this.fd, line);
    } catch (err) {
      this.close();
      this.onError(new Error(`writing the key log ${this.path} failed, no more secrets go in it: ${(err as Error).message}`));
    }
  }

  /** Closes the file; later lines are dropped. */
  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }
}
