import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexBytes, hexDump, hexDumpWidth, parseHexDump } from '../tui/hex-dump.js';

test('the classic format: offset, two groups of 8, ASCII column', () => {
  assert.deepEqual(hexDump(Buffer.from('Hello, world')), ['00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64              |Hello, world|']);
});

test('full lines, the next offset, and short last lines line up', () => {
  const bytes = Buffer.from(Array.from({ length: 40 }, (_, i) => 0x41 + (i % 26)));
  const lines = hexDump(bytes);
  assert.deepEqual(lines, [
    '00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|',
    '00000010  51 52 53 54 55 56 57 58  59 5a 41 42 43 44 45 46  |QRSTUVWXYZABCDEF|',
    '00000020  47 48 49 4a 4b 4c 4d 4e                           |GHIJKLMN|',
  ]);
  // The ASCII column starts at the same place on every line.
  assert.deepEqual(new Set(lines.map((l) => l.indexOf('|'))), new Set([60]));
  assert.equal(lines[0]!.length, 78);
});

test('shorter offsets, and the width of a full line', () => {
  const bytes = Buffer.from('0123456789abcdef01234567');
  assert.deepEqual(hexDump(bytes, Infinity, 16, 4), [
    '0000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|',
    '0010  30 31 32 33 34 35 36 37                           |01234567|',
  ]);
  assert.equal(hexDumpWidth(16, 4), 74);
  assert.equal(hexDumpWidth(16, 8), hexDump(bytes)[0]!.length);
  assert.equal(hexDumpWidth(8, 4), hexDump(bytes, Infinity, 8, 4)[0]!.length);
});

test('exactly 8 and exactly 16 bytes', () => {
  assert.deepEqual(hexDump(Buffer.from('01234567')), ['00000000  30 31 32 33 34 35 36 37                           |01234567|']);
  assert.deepEqual(hexDump(Buffer.from('0123456789abcdef')), ['00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|']);
});

test('non-printable bytes are dots: controls, DEL, high bytes, ESC and 8-bit CSI', () => {
  const bytes = Buffer.from([0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x7f, 0x80, 0x9b, 0xff, 0x20, 0x7e, 0x0a, 0x0d, 0x09, 0x1f]);
  const [line] = hexDump(bytes);
  assert.equal(line, '00000000  00 1b 5b 32 4a 07 7f 80  9b ff 20 7e 0a 0d 09 1f  |..[2J..... ~....|');
  assert.doesNotMatch(line!, /[\x00-\x1f\x7f-\x9f]/);
});

test('empty input gives no lines; maxLines caps the dump', () => {
  assert.deepEqual(hexDump(new Uint8Array(0)), []);
  const lines = hexDump(new Uint8Array(100), 2);
  assert.equal(lines.length, 2);
  assert.ok(lines[1]!.startsWith('00000010  '));
  assert.equal(hexDump(new Uint8Array(100)).length, 7);
});

test('8 bytes a line for narrow panes', () => {
  assert.deepEqual(hexDump(Buffer.from('Hello, world'), Infinity, 8), [
    '00000000  48 65 6c 6c 6f 2c 20 77  |Hello, w|',
    '00000008  6f 72 6c 64              |orld|',
  ]);
});

test('offsets past 0xffff keep 8 hex digits', () => {
  const lines = hexDump(new Uint8Array(0x10010));
  assert.equal(lines.length, 0x1001);
  assert.ok(lines[0x1000]!.startsWith('00010000  00 00 '));
});

test('hexBytes: spaced lower-case pairs', () => {
  assert.equal(hexBytes(Buffer.from([0xd2, 0x56, 0x90, 0xb9])), 'd2 56 90 b9');
  assert.equal(hexBytes(Buffer.from([0, 1, 0x0f])), '00 01 0f');
  assert.equal(hexBytes(new Uint8Array(0)), '');
});

test('parseHexDump reads back what hexDump wrote, at every width and offset size', () => {
  const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff));
  for (const perLine of [8, 16] as const) {
    for (const digits of [4, 8]) {
      const parsed = parseHexDump(`${hexDump(bytes, Infinity, perLine, digits).join('\n')}\n`);
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.bytes, bytes, `${perLine} a line, ${digits}-digit offsets`);
    }
  }
  const empty = parseHexDump('');
  assert.ok(empty.ok && empty.bytes.length === 0);
});

test('parseHexDump: offsets ignored (bytes added or removed anywhere), the ASCII column and # lines ignored, bare bytes and xxd offsets too', () => {
  const text = [
    '# a comment, even with | and zz in it',
    '00000000  48 65 6c 6c 6f 21 21  |Hello|',
    '00000010  0a',
    '   # indented comment',
    '20 21',
    '0000030: ff',
    'ab',
    '',
  ].join('\r\n');
  const parsed = parseHexDump(text);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.equal(parsed.bytes.toString('hex'), '48656c6c6f21210a2021ffab');
});

test('parseHexDump says which line is not a byte, and what it found', () => {
  assert.deepEqual(parseHexDump('00000000  48 65\n00000010  4 65\n'), { ok: false, line: 2, error: 'line 2: "4" is not a byte (two hex digits)' });
  assert.deepEqual(parseHexDump('zz'), { ok: false, line: 1, error: 'line 1: "zz" is not a byte (two hex digits)' });
  assert.deepEqual(parseHexDump('0000 48 656c'), { ok: false, line: 1, error: 'line 1: "656c" is not a byte (two hex digits)' });
  const long = parseHexDump(`00 ${'x'.repeat(50)}`);
  assert.ok(!long.ok && long.error.includes('"xxxxxxxxxxxxxxxxxxxx…"'));
});
