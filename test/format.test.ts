import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, clockTime, count, cutUrl, dateTime, duration, fit, cutLeft, size } from '../tui/format.js';

test('clockTime: local time of day with milliseconds', () => {
  assert.equal(clockTime(new Date(2024, 0, 15, 14, 2, 3, 123).getTime()), '14:02:03.123');
  assert.equal(clockTime(new Date(2024, 0, 15, 0, 0, 0, 0).getTime()), '00:00:00.000');
  assert.equal(clockTime(new Date(2024, 0, 15, 9, 5, 7, 9).getTime()), '09:05:07.009');
  assert.equal(clockTime(new Date(2024, 0, 15, 23, 59, 59, 999).getTime() + 0.7), '23:59:59.999', 'sub-ms timestamps are cut, not rounded into the next second');
});

test('duration: ms with two decimals below 10, whole ms, seconds, minutes, hours', () => {
  assert.equal(duration(0), '0.00ms');
  assert.equal(duration(0.42), '0.42ms');
  assert.equal(duration(9.5), '9.50ms');
  assert.equal(duration(12), '12ms');
  assert.equal(duration(12.6), '13ms');
  assert.equal(duration(999), '999ms');
  assert.equal(duration(1000), '1.00s');
  assert.equal(duration(1250), '1.25s');
  assert.equal(duration(59_000), '59.00s');
  assert.equal(duration(60_000), '1m00s');
  assert.equal(duration(185_000), '3m05s');
  assert.equal(duration(3_600_000), '1h00m');
  assert.equal(duration(3 * 3_600_000 + 5 * 60_000 + 30_000), '3h05m');
  assert.equal(duration(-5), '-5.00ms');
  assert.equal(duration(-1500), '-1.50s');
});

test('size: bytes, then 1024-based KiB, MiB, GiB, labelled as such', () => {
  assert.equal(size(0), '0 B');
  assert.equal(size(512), '512 B');
  assert.equal(size(1023), '1023 B');
  assert.equal(size(1024), '1.0 KiB');
  assert.equal(size(4198), '4.1 KiB');
  assert.equal(size(1024 * 1024), '1.0 MiB');
  assert.equal(size(5 * 1024 * 1024), '5.0 MiB', '6 MiB is not "6.0 MB"');
  assert.equal(size(5.5 * 1024 * 1024), '5.5 MiB');
  assert.equal(size(1.5 * 1024 * 1024 * 1024), '1.5 GiB');
  assert.equal(size(3 * 1024 ** 4), '3.0 TiB');
  // Rounding never shows 1024.0 of a unit: it moves to the next one.
  assert.equal(size(1024 * 1024 - 1), '1.0 MiB');
  assert.equal(size(1024 * 1024 - 60), '1023.9 KiB');
  for (let b = 1; b < 2 ** 40; b = Math.ceil(b * 1.37)) assert.match(size(b), /^(?:\d{1,4} B|\d{1,4}\.\d (?:KiB|MiB|GiB|TiB))$/, String(b));
});

test('bytes: the exact count with separators, then the human size when it says something more', () => {
  assert.equal(bytes(0), '0 B');
  assert.equal(bytes(1023), '1,023 B');
  assert.equal(bytes(4200), '4,200 B (4.1 KiB)');
  assert.equal(bytes(5 * 1024 * 1024), '5,242,880 B (5.0 MiB)');
});

test('dateTime: the local date and time of day', () => {
  assert.equal(dateTime(new Date(2024, 0, 15, 9, 5, 7, 123).getTime()), '2024-01-15 09:05:07');
  assert.equal(dateTime(new Date(1999, 11, 31, 23, 59, 59, 999).getTime()), '1999-12-31 23:59:59');
});

test('count: thousands separators', () => {
  assert.equal(count(0), '0');
  assert.equal(count(999), '999');
  assert.equal(count(58_331), '58,331');
  assert.equal(count(1_000_000), '1,000,000');
});

test('fit: pads or cuts to exactly the width, with an ellipsis', () => {
  assert.equal(fit('abc', 5), 'abc  ');
  assert.equal(fit('abcde', 5), 'abcde');
  assert.equal(fit('abcdef', 5), 'abcd…');
  assert.equal(fit('abcdef', 1), '…');
  assert.equal(fit('a', 1), 'a');
  assert.equal(fit('abc', 0), '');
  assert.equal(fit('abc', -3), '');
  for (const w of [1, 2, 5, 10]) for (const s of ['', 'x', 'hello world']) assert.equal(fit(s, w).length, w);
});

test('cutLeft: cuts from the start, keeping the end (a file name, a path); never pads', () => {
  assert.equal(cutLeft('abc', 5), 'abc');
  assert.equal(cutLeft('/home/me/captures/today.jsonl', 12), '…today.jsonl');
  assert.equal(cutLeft('abcdef', 1), '…');
  assert.equal(cutLeft('abc', 0), '');
});

test('cutUrl: a URL that must be cut keeps its path over its host, and whole host labels', () => {
  const url = 'ws://very-long-host.example.com:3000/api/v2/chat';
  assert.equal(cutUrl(url, 60), url, 'whole when it fits');
  assert.equal(cutUrl(url, 18), '…:3000/api/v2/chat');
  assert.equal(cutUrl(url, 20), '…:3000/api/v2/chat', 'not …om:3000');
  assert.equal(cutUrl(url, 30), '…example.com:3000/api/v2/chat');
  assert.equal(cutUrl(url, 13), '…/api/v2/chat');
  assert.equal(cutUrl(url, 15), '…/api/v2/chat');
  // A path longer than the room: the host goes, and the path is cut at its end.
  assert.equal(cutUrl('ws://h.example/api/v2/chat?token=abcdefghijklmnop', 20), '…/api/v2/chat?token…');
  assert.equal(cutUrl('http://127.0.0.1:43587/', 14), '…0.0.1:43587/');
  assert.equal(cutUrl('example.test:443', 10), '…test:443', 'no scheme: all of it is the host');
  for (const w of [0, 1, 2, 5, 13, 30]) assert.ok(cutUrl(url, w).length <= w, `width ${w}`);
});

test('clockTime gives the local time of day for any sequence of timestamps, across seconds and backwards', () => {
  const naive = (ts: number) => {
    const d = new Date(ts);
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  };
  const base = 1795290133410.3066;
  for (const ts of [base, base + 0.5, base + 589.9, base + 590, base + 3600_000, base - 1, base, base + 999.999, 0, 86_399_999.5]) {
    assert.equal(clockTime(ts), naive(ts), `ts ${ts}`);
  }
});
