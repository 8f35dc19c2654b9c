import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANSWERED, type KeptAppEntry } from '../core/app/app-entry.js';
import { appDetailLines } from '../tui/app-detail.js';
import { lineText } from '../tui/styled-text.js';

const text = (entries: KeptAppEntry[]) => appDetailLines(entries).map(lineText);

test('a request says whether it was answered; a reply what it answers and after how long', () => {
  const request: KeptAppEntry = { protocol: 'json-rpc', type: 'request', name: 'sum', id: 3, value: { params: [1, 2] } };
  assert.deepEqual(text([request]), ['', 'json-rpc', 'request sum #3', 'no reply yet', '{', '  "params": [', '    1,', '    2', '  ]', '}']);
  request[ANSWERED] = true;
  assert.ok(text([request]).includes('answered (p jumps to the reply)'));
  assert.ok(text([{ protocol: 'json-rpc', type: 'response', id: 3, pair: 9, latencyMs: 12.5 }]).includes('reply to message 9, 13ms after it (p jumps to it)'));
});

test('the end of an exchange, the facts of an entry and what could not be read', () => {
  const lines = text([
    { protocol: 'graphql-transport-ws', type: 'complete', id: '1', pair: 2, count: 3, durationMs: 812, operation: 'subscription' },
    { protocol: 'mqtt', error: 'remaining length over 4 bytes' },
  ]);
  assert.ok(lines.includes('ends the exchange: 3 replies before it, 812ms in all'), lines.join('\n'));
  assert.ok(lines.includes('a subscription'));
  assert.ok(lines.includes('could not be read: remaining length over 4 bytes'));
});

test('a large value is cut, and nothing a peer sent reaches the terminal raw', () => {
  const lines = text([{ protocol: 'msgpack', type: 'message', value: Array.from({ length: 1000 }, (_, i) => `\x1b]0;${i}`) }]);
  assert.ok(lines.length < 420, `${lines.length} lines`);
  assert.match(lines.at(-1)!, /^… \d+ more lines$/);
  assert.ok(lines.every((l) => !l.includes('\x1b')));
});
