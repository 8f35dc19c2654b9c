import fs from 'node:fs';

/**
 * Whether `fd` is the null device (`> /dev/null`, or a child's ignored stdio): then the headless
 * lines would be built only to be thrown away, and the printer is left out.
 */
export function isNullDevice(fd: number): boolean {
  try {
    const st = fs.fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    const devNull = fs.statSync('/dev/null');
    return st.rdev === devNull.rdev && st.ino === devNull.ino;
  } catch {
    return false;
  }
}
