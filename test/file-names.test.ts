import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionRecord, MessageRecord } from '../core/log/records.js';
import { localStamp, payloadFileName, viewFileName } from '../tui/file-names.js';

// Dates made from local fields, so the expectations hold in any time zone.
const AT = new Date(2024, 0, 5, 9, 3, 7, 890).getTime();

test('local time, to the second: YYYYMMDD-HHMMSS', () => {
  assert.equal(localStamp(AT), '20240105-090307');
  assert.equal(localStamp(new Date(2025, 11, 31, 23, 59, 59, 999).getTime()), '20251231-235959');
});

test('a saved view and a written payload are named by time, connection and seq', () => {
  assert.equal(viewFileName(AT, '.jsonl'), 'wspeek-view-20240105-090307.jsonl');
  const m = { type: 'message', conn: 3, seq: 42, ts: AT + 0.5 } as MessageRecord;
  assert.equal(payloadFileName(m, '.bin'), 'wspeek-conn3-seq42-20240105-090307.bin');
  const injected = { type: 'action', action: 'injected', conn: 3, ts: AT } as ActionRecord;
  assert.equal(payloadFileName(injected, '.txt'), 'wspeek-conn3-injected-20240105-090307.txt');
  assert.equal(payloadFileName({ ...injected, action: 'resent', seq: 42 }, '.txt'), 'wspeek-conn3-seq42-resent-20240105-090307.txt');
});
