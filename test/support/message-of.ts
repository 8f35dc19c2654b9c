// A listed row's record as the message a test expects it to be.

import assert from 'node:assert/strict';
import type { MessageRecord } from '../../core/log/records.js';
import type { MessageRow } from '../../tui/message-rows.js';

/** The row's message record; fails the test when there is no row, or it lists an error. */
export function messageOf(row: MessageRow | undefined): MessageRecord {
  assert.ok(row, 'a row');
  assert.equal(row.record.type, 'message');
  return row.record as MessageRecord;
}
