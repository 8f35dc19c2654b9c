// Reading a session log a CLI run wrote, checking that it is whole.

import assert from 'node:assert/strict';
import fs from 'node:fs';

/** A log record as read back, loosely typed for assertions. */
export type Rec = { type: string; conn?: number; [k: string]: unknown };

/** Every line of the log is a whole JSON record, and the file ends with a newline. */
export function readWholeLog(file: string): Rec[] {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), 'the log ends with a whole line');
  return text.split('\n').filter((l) => l !== '').map((l, i) => {
    try {
      return JSON.parse(l) as Rec;
    } catch (err) {
      throw new Error(`line ${i + 1} of the log is not JSON: ${(err as Error).message}: ${l.slice(0, 200)}`);
    }
  });
}
