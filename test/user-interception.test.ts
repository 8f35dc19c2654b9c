import { test } from 'node:test';
import assert from 'node:assert/strict';
import { userInterception } from '../cli/user-interception.js';
import { parseFilter } from '../core/filter/filter.js';
import type { MessageRecord } from '../core/log/records.js';
import type { Interception } from '../proxy/interception.js';

test("the UI's requests reach the interception as the user's, and its answers come back", () => {
  const calls: unknown[][] = [];
  const answer = (name: string) => (...args: unknown[]) => {
    calls.push([name, ...args]);
    return `${name} said no`;
  };
  const stub = {
    setFilter: (f: unknown) => calls.push(['setFilter', typeof f]),
    forward: answer('forward'), forwardAll: (by: string) => calls.push(['forwardAll', by]), drop: answer('drop'), edit: answer('edit'),
    inject: answer('inject'), resend: answer('resend'), close: answer('close'), reset: answer('reset'),
    summary: () => ({ messages: 2, waitingFrames: 3, waitingBytes: 4 }),
  };
  const control = userInterception(stub as unknown as Interception, 'text');
  assert.equal(control.initialFilter, 'text');
  const filter = parseFilter('text');
  assert.ok(filter.ok);
  const m = { opcode: 1 as const, payload: Buffer.from('x') };
  const record = { type: 'message', conn: 1, seq: 2 } as MessageRecord;
  assert.equal(control.setFilter(filter), null);
  assert.equal(control.setFilter(null), null);
  assert.equal(control.forward(1, 2), 'forward said no');
  control.forwardAll();
  assert.equal(control.drop(1, 2), 'drop said no');
  assert.equal(control.edit(1, 2, m), 'edit said no');
  assert.equal(control.inject(1, 'server', m), 'inject said no');
  assert.equal(control.resend(record, m), 'resend said no');
  assert.equal(control.close(1, 4000, 'bye'), 'close said no');
  assert.equal(control.reset(1), 'reset said no');
  assert.deepEqual(control.summary(), { messages: 2, waitingFrames: 3, waitingBytes: 4 });
  assert.deepEqual(calls, [
    ['setFilter', 'function'], ['setFilter', 'object'], ['forward', 1, 2, 'user'], ['forwardAll', 'user'], ['drop', 1, 2, 'user'], ['edit', 1, 2, m, 'user'],
    ['inject', 1, 'server', m, 'user'], ['resend', record, 'user', m], ['close', 1, 4000, 'bye', 'user'], ['reset', 1, 'user'],
  ]);
});
