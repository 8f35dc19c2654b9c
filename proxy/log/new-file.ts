import fs from 'node:fs';
import { fsErrorReason } from '../fs-error-reason.js';

/**
 * Writes `data` to a new file at `file` (relative to the current directory) and returns `file`;
 * never overwrites one that exists. Throws a one-line Error that names the file.
 */
export function writeNewFile(file: string, data: Uint8Array | string): string {
  try {
    fs.writeFileSync(file, data, { flag: 'wx' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') throw new Error(`${file} already exists; wspeek never overwrites a file`);
    throw new Error(`cannot write ${file}: ${fsErrorReason(e)}`);
  }
  return file;
}
