import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeyLog } from '../core/capture/key-log.js';

const R1 = '0a'.repeat(32);
const R2 = 'B0'.repeat(32);

test('the five labels the decryptor uses are gathered per client_random, in lower-case hex', () => {
  const log = parseKeyLog([
    `CLIENT_RANDOM ${R1} ${'11'.repeat(48)}`,
    `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${R2} ${'21'.repeat(32)}`,
    `SERVER_HANDSHAKE_TRAFFIC_SECRET ${R2} ${'22'.repeat(32)}`,
    `CLIENT_TRAFFIC_SECRET_0 ${R2} ${'23'.repeat(48)}`,
    `SERVER_TRAFFIC_SECRET_0 ${R2} ${'24'.repeat(48)}`,
  ].join('\n'));
  assert.deepEqual(log.problems, []);
  assert.deepEqual([...log.sessions.keys()], [R1, R2.toLowerCase()]);
  assert.equal(log.sessions.get(R1)!.masterSecret!.toString('hex'), '11'.repeat(48));
  const s = log.sessions.get(R2.toLowerCase())!;
  assert.equal(s.clientHandshake!.toString('hex'), '21'.repeat(32));
  assert.equal(s.serverHandshake!.toString('hex'), '22'.repeat(32));
  assert.equal(s.clientTraffic0!.toString('hex'), '23'.repeat(48));
  assert.equal(s.serverTraffic0!.toString('hex'), '24'.repeat(48));
});

test('comments, blank lines, CRLF endings and the labels it has no use for are skipped without a problem', () => {
  const log = parseKeyLog(`# written by a browser\r\n\r\nEXPORTER_SECRET ${R1} ${'33'.repeat(32)}\r\nCLIENT_EARLY_TRAFFIC_SECRET ${R1} ${'34'.repeat(32)}\r\nCLIENT_RANDOM ${R1} ${'35'.repeat(48)}\r\n`);
  assert.deepEqual(log.problems, []);
  assert.equal(log.sessions.get(R1)!.masterSecret!.toString('hex'), '35'.repeat(48));
});

test('a line it cannot read is a problem with its line number, and the lines around it still count', () => {
  const log = parseKeyLog([
    `CLIENT_RANDOM ${R1} ${'11'.repeat(48)}`,
    'CLIENT_RANDOM short 1234',
    `CLIENT_RANDOM ${R2} not-hex`,
    `MYSTERY_SECRET ${R2} 1234`,
    `CLIENT_RANDOM ${R2} ${'12'.repeat(48)} extra`,
    `CLIENT_RANDOM ${R2} ${'12'.repeat(48)}`,
  ].join('\n'));
  assert.equal(log.problems.length, 4);
  assert.equal(log.problems[0]!.line, 2);
  assert.deepEqual(log.problems[2], { line: 4, error: 'unknown label MYSTERY_SECRET' });
  assert.equal(log.problems[3]!.line, 5);
  assert.equal(log.sessions.size, 2);
});
