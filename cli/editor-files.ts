import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EditorFiles } from '../tui/terminal-ui.js';

/** The user's editor, chosen as git chooses it: `$VISUAL`, else `$EDITOR`, else vi (notepad on Windows). */
export function editorCommand(env: NodeJS.ProcessEnv, platform = process.platform): string {
  return env.VISUAL?.trim() || env.EDITOR?.trim() || (platform === 'win32' ? 'notepad' : 'vi');
}

/**
 * The editor's files: each document in a new directory of its own under `tmpdir` (mkdtemp: only
 * the user may enter it), in a file only the user may read (0600); removed with its directory and
 * whatever the editor left beside it (a backup, a swap file). The command runs through the shell,
 * so `EDITOR="code --wait"` works, with the path passed as an argument, never spliced into it.
 */
export function editorFiles(command: string, tmpdir = os.tmpdir(), platform = process.platform): EditorFiles {
  const made = new Set<string>();
  return {
    command,
    run: (file) => platform === 'win32'
      ? { file: 'cmd.exe', args: ['/d', '/s', '/c', `"${command} "${file}""`], options: { windowsVerbatimArguments: true } }
      : { file: '/bin/sh', args: ['-c', `${command} "$@"`, command, file], options: {} },
    create(content, extension) {
      const dir = fs.mkdtempSync(path.join(tmpdir, 'wspeek-edit-'));
      made.add(dir);
      const file = path.join(dir, `wspeek-message${extension}`);
      fs.writeFileSync(file, content, { flag: 'wx', mode: 0o600 });
      return file;
    },
    read: (file) => fs.readFileSync(file),
    remove(file) {
      const dir = path.dirname(file);
      if (!made.delete(dir)) throw new Error(`${file} is not a file wspeek made to edit`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
