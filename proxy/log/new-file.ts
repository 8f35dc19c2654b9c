import fs from 'node:fs';

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
    // Node's message repeats the path and the call: "ENOENT: no such file or directory, open 'x'".
    throw new Error(`cannot write ${file}: ${e.message.replace(/^E[A-Z]+: /, '').replace(/, open '.*'$/s, '')}`);
  }
  return file;
}
