import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editorDocument, readEdited, withoutAddedNewline } from '../tui/payload-editing.js';

const ABOUT = 'binary message 3 of #1, client → server';

test('text is the file itself, byte for byte; JSON gets a .json name; an unchanged file is no change', () => {
  const doc = editorDocument(Buffer.from('{"a": 1}'), 'text', 'x');
  assert.deepEqual(doc, { as: 'text', content: Buffer.from('{"a": 1}'), extension: '.json', header: '', original: Buffer.from('{"a": 1}') });
  assert.equal(editorDocument(Buffer.from('hello'), 'text', 'x').extension, '.txt');
  assert.deepEqual(readEdited(doc, Buffer.from('{"a": 1}\n'), 'x'), { ok: true, payload: Buffer.from('{"a": 1}'), changed: false });
  assert.deepEqual(readEdited(doc, Buffer.from('{"a": 2}'), 'x'), { ok: true, payload: Buffer.from('{"a": 2}'), changed: true });
});

test('one trailing newline the editor added is removed when the original had none; kept when it had one, or when there are two', () => {
  const plain = editorDocument(Buffer.from('line'), 'text', 'x');
  const r = (doc: typeof plain, file: string) => {
    const got = readEdited(doc, Buffer.from(file), 'x');
    assert.ok(got.ok);
    return got.payload.toString();
  };
  assert.equal(r(plain, 'line two\n'), 'line two');
  assert.equal(r(plain, 'line two\r\n'), 'line two', 'CRLF is one newline too');
  assert.equal(r(plain, 'line two\n\n'), 'line two\n', 'only one');
  assert.equal(r(plain, 'line two'), 'line two');
  const ending = editorDocument(Buffer.from('line\n'), 'text', 'x');
  assert.equal(r(ending, 'line two\n'), 'line two\n', 'the original ended in one: it stays');
  assert.equal(withoutAddedNewline(Buffer.from('\n'), Buffer.alloc(0)).length, 0);
});

test('binary is a hex dump under comment lines, read back exactly; text that is not UTF-8 too', () => {
  const bytes = Buffer.from(Array.from({ length: 40 }, (_, i) => i * 7));
  const doc = editorDocument(bytes, 'binary', ABOUT);
  assert.equal(doc.as, 'hex');
  const text = doc.content.toString();
  assert.match(text, /^# wspeek: binary message 3 of #1, client → server, as a hex dump\.\n# Edit the bytes .*\n00000000 {2}00 07 0e 15/);
  assert.deepEqual(readEdited(doc, doc.content, ABOUT), { ok: true, payload: bytes, changed: false });
  const edited = readEdited(doc, Buffer.from(text.replace('00000000  00 07', '00000000  ff')), ABOUT);
  assert.ok(edited.ok && edited.changed);
  assert.deepEqual(edited.payload, Buffer.concat([Buffer.of(0xff), bytes.subarray(2)]));

  const invalid = editorDocument(Buffer.of(0x68, 0xc3, 0x28), 'text', 'text message 1 of #1');
  assert.equal(invalid.as, 'hex', 'a text message that is not UTF-8 is edited as bytes');
  assert.deepEqual(readEdited(invalid, invalid.content, 'x'), { ok: true, payload: Buffer.of(0x68, 0xc3, 0x28), changed: false });
  assert.equal(editorDocument(Buffer.alloc(0), 'binary', ABOUT).content.toString().split('\n').filter((l) => !l.startsWith('#')).join(''), '', 'empty: comments only');
});

test('a hex dump that does not parse: the error at the top of the same text, and reading that back once fixed works', () => {
  const doc = editorDocument(Buffer.from('AB'), 'binary', ABOUT);
  const broken = `${doc.content.toString()}zz\n`;
  const r = readEdited(doc, Buffer.from(broken), ABOUT);
  assert.ok(!r.ok);
  assert.equal(r.error, 'line 4: "zz" is not a byte (two hex digits)');
  const again = r.again.content.toString();
  assert.match(again, /^# ✗ line 4: "zz" is not a byte \(two hex digits\): nothing was sent/);
  assert.match(again, /#\.\n00000000 {2}41 42 +\|AB\|\nzz\n$/, 'the user\'s text kept, the old header taken off');
  assert.equal(again.match(/# wspeek:/g)!.length, 1);
  const fixed = readEdited(r.again, Buffer.from(again.replace('\nzz\n', '\n43\n')), ABOUT);
  assert.deepEqual(fixed, { ok: true, payload: Buffer.from('ABC'), changed: true });
});

test('edited text that is not UTF-8: the editor again, with the error in lines that are taken off again', () => {
  const doc = editorDocument(Buffer.from('hi'), 'text', 'x');
  const r = readEdited(doc, Buffer.of(0x68, 0xff), 'x');
  assert.ok(!r.ok);
  assert.match(r.error, /not valid UTF-8/);
  const again = r.again.content;
  assert.match(again.toString('latin1'), /^# wspeek: the edited text is not valid UTF-8, which a text message must be; nothing was sent\.\n# wspeek takes these three lines off again: edit the text below them\.\n# ----\nh\xff$/);
  const fixed = readEdited(r.again, Buffer.concat([Buffer.from(r.again.header), Buffer.from('hé\n')]), 'x');
  assert.deepEqual(fixed, { ok: true, payload: Buffer.from('hé'), changed: true });
  const headerGone = readEdited(r.again, Buffer.from('# kept\nhé'), 'x');
  assert.deepEqual(headerGone, { ok: true, payload: Buffer.from('# kept\nhé'), changed: true }, 'lines the user wrote are text');
});
