import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { editorCommand, editorFiles } from '../cli/editor-files.js';

test('the editor is $VISUAL, else $EDITOR, else vi (notepad on Windows)', () => {
  assert.equal(editorCommand({ VISUAL: 'code --wait', EDITOR: 'nano' }, 'linux'), 'code --wait');
  assert.equal(editorCommand({ VISUAL: ' ', EDITOR: 'nano' }, 'linux'), 'nano');
  assert.equal(editorCommand({}, 'linux'), 'vi');
  assert.equal(editorCommand({}, 'win32'), 'notepad');
});

test('a private file in a directory of its own, edited by a command with arguments through the shell, then removed with what the editor left', { skip: process.platform === 'win32' }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek editor test '));
  try {
    const editor = path.join(tmp, 'my editor.sh');
    // An editor with an argument of its own, that leaves a backup beside the file, like some do.
    fs.writeFileSync(editor, '#!/bin/sh\n[ "$1" = "--mark" ] || exit 3\ncp "$2" "$2~"\nprintf \'%s!\' "$(cat "$2")" > "$2"\n', { mode: 0o700 });
    const files = editorFiles(`'${editor}' --mark`, tmp, 'linux');
    const file = files.create(Buffer.from('it\'s "$HOME" `x`'), '.txt');
    assert.match(path.basename(file), /^wspeek-message\.txt$/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    const run = files.run(file);
    const r = spawnSync(run.file, run.args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(files.read(file).toString(), 'it\'s "$HOME" `x`!', 'the path and the content went through the shell untouched');
    files.remove(file);
    assert.equal(fs.existsSync(path.dirname(file)), false, 'the directory is gone, the backup with it');
    assert.throws(() => files.remove(file), /is not a file wspeek made to edit/);
    assert.throws(() => files.remove(editor), /is not a file wspeek made to edit/, 'never anything else');
    assert.ok(fs.existsSync(editor));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('on Windows the editor runs through cmd.exe with the path quoted', () => {
  const run = editorFiles('notepad', 'C:\\Temp', 'win32').run('C:\\Temp\\wspeek-edit-1\\wspeek-message.txt');
  assert.deepEqual(run, { file: 'cmd.exe', args: ['/d', '/s', '/c', '"notepad "C:\\Temp\\wspeek-edit-1\\wspeek-message.txt""'], options: { windowsVerbatimArguments: true } });
});
