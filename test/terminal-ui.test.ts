import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import blessed from 'blessed';
import { render } from '../tui/terminal-ui.js';
import { seg, type Line } from '../tui/styled-text.js';

const EVIL = '\x1b[2J\x1b]0;title\x07\x07\x9b31m\x7f\u202eevil\u200b{red-fg}x{/red-fg}\r\n';

// ---------------------------------------------------------------------------------------------
// render: the last step before the terminal

test('render: every piece is made visible and its markup escaped, then wrapped in its style', () => {
  assert.equal(render([[seg('plain'), seg('dim', 'dim')], [seg('bad', 'bad')]]), 'plain{gray-fg}dim{/}\n{red-fg}{bold}bad{/}');
  assert.equal(render([[seg('{red-fg}x{/red-fg}')]]), '{open}red-fg{close}x{open}/red-fg{close}');
  assert.equal(render([[seg('\x1b[2J\x9b\u202e')]]), '\\x1b[2J\\x9b\\u{open}202e{close}', 'even text the model forgot to make visible');
  const out = render([[seg(EVIL, 'match'), seg(EVIL, 'selected')], [seg(EVIL)]]);
  assert.doesNotMatch(out.replace(/\n/g, ''), /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b]/);
  assert.equal(out.split('\n').length, 2, 'only the line breaks between lines');
  // Only our own style tags are left as markup: no brace from the text survives unescaped.
  const withoutOurTags = out.replace(/\{(?:black-fg|yellow-bg|inverse|\/|open|close)\}/g, '');
  assert.doesNotMatch(withoutOurTags, /[{}]/);
});

test('render: blessed draws peer markup literally and does not recolour', () => {
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 60, rows: 5 });
  output.resume();
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const screen = blessed.screen({ input, output, terminal: 'xterm-256color', warnings: false });
  try {
    const content = render([[seg('a{red-fg}x{/red-fg}{bold}'), seg(' dim', 'dim')] as Line, [seg('{/}b\x1b[31m', 'plain')]]);
    blessed.box({ parent: screen, tags: true, top: 0, left: 0, width: 60, height: 3, content });
    screen.render();
    const lines = (screen as unknown as { lines: Array<Array<[number, string]>> }).lines;
    const row = (y: number) => lines[y]!.map((c) => c[1]).join('').trimEnd();
    assert.equal(row(0), 'a{red-fg}x{/red-fg}{bold} dim');
    assert.equal(row(1), '{/}b\\x1b[31m');
    const attr = (y: number, x: number) => lines[y]![x]![0];
    const plain = attr(0, 0);
    assert.equal(attr(0, 9), plain, "the peer's {red-fg} did not colour the x");
    assert.equal(attr(0, 19), plain, "nor did its {bold}");
    assert.notEqual(attr(0, 26), plain, 'our own dim style does apply');
    assert.equal(attr(1, 3), plain);
  } finally {
    screen.destroy();
  }
});

// ---------------------------------------------------------------------------------------------
// End to end in a real pseudo-terminal: `wspeek demo` under tmux

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const SOCKET = `wspeek-test-${process.pid}-${Date.now()}`;

function tmux(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.TMUX;
  const r = spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8', env, timeout: 5000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Where the program's stderr goes, for the failure message. */
let stderrFile = '';

/** Polls the screen until `ok` holds (up to `ms`); returns the last screen, or fails with it. */
async function waitFor(session: string, what: string, ok: (screen: string) => boolean, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const capture = tmux('capture-pane', '-p', '-t', session);
    if (ok(capture.stdout)) return capture.stdout;
    if (Date.now() > deadline) {
      let stderr = '';
      try {
        stderr = fs.readFileSync(stderrFile, 'utf8');
      } catch {
        // none
      }
      assert.fail(`timed out waiting for ${what}; capture-pane exit ${capture.status} ${capture.stderr}; the screen:\n${capture.stdout}\nstderr:\n${stderr}`);
    }
    await sleep(200);
  }
}

interface ShownRow {
  conn: number;
  dir: '→' | '←';
  kind: string;
  /** The length as shown (KiB and MiB are rounded). */
  length: number;
  line: string;
}

const UNIT: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 * 1024 };

/** The message rows drawn in the Messages pane (the left box under Connections). */
function messageRows(screen: string): ShownRow[] {
  const rows: ShownRow[] = [];
  for (const line of screen.split('\n')) {
    const m = /^│[ ▶▷]\d\d:\d\d:\d\d\.\d{3} +(?:\+\S+ +)?#(\d+) +([→←]) (close \d+|\w+) +(\d+(?:\.\d)?) (B|KiB|MiB) /.exec(line);
    if (m) rows.push({ conn: Number(m[1]), dir: m[2] as ShownRow['dir'], kind: m[3]!, length: Number(m[4]) * UNIT[m[5]!]!, line });
  }
  return rows;
}

/** The connection ids drawn in the Connections pane. */
function connectionIds(screen: string): number[] {
  return [...screen.matchAll(/^│[ ▶▷]#(\d+) /gm)].map((m) => Number(m[1]));
}

/** The screen as cells with their foreground colour, from `capture-pane -e` (SGR state carries across lines). */
function colouredCells(ansi: string): Array<Array<{ ch: string; fg: string }>> {
  const rows: Array<Array<{ ch: string; fg: string }>> = [[]];
  let fg = 'default';
  for (let i = 0; i < ansi.length;) {
    const c = ansi[i]!;
    if (c === '\x1b') {
      const csi = /^\x1b\[([0-9;:]*)([A-Za-z])/.exec(ansi.slice(i, i + 40));
      if (csi) {
        if (csi[2] === 'm') fg = sgr(fg, csi[1]!);
        i += csi[0].length;
      } else i += 2;
      continue;
    }
    if (c === '\n') {
      rows.push([]);
      i++;
      continue;
    }
    const ch = String.fromCodePoint(ansi.codePointAt(i)!);
    rows.at(-1)!.push({ ch, fg });
    i += ch.length;
  }
  return rows;
}

function sgr(fg: string, params: string): string {
  const p = params === '' ? [0] : params.split(/[;:]/).map(Number);
  for (let j = 0; j < p.length; j++) {
    const n = p[j]!;
    if (n === 0 || n === 39) fg = 'default';
    else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) fg = String(n);
    else if (n === 38 || n === 48) {
      const skip = p[j + 1] === 5 ? 2 : p[j + 1] === 2 ? 4 : 0;
      if (n === 38) fg = p.slice(j, j + 1 + skip).join(';');
      j += skip;
    }
  }
  return fg;
}

/** The colour of the border just after a pane's label (" Messages ", " ▶ Messages " when focused): yellow (33) marks the focused pane. */
function borderColour(session: string, label: string): string {
  const cells = colouredCells(tmux('capture-pane', '-p', '-e', '-t', session).stdout);
  for (const row of cells) {
    const text = row.map((c) => c.ch).join('');
    const m = new RegExp(`─ (▶ )?${label} ─`).exec(text);
    if (m) return row[m.index + m[0].length - 1]!.fg;
  }
  assert.fail(`no pane labelled ${label}`);
}

test('wspeek demo in a real terminal: panes, live filter, filter errors, help, quit', { timeout: 30_000 }, async (t) => {
  if (!hasTmux()) {
    t.skip('tmux not installed');
    return;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-tui-'));
  const session = `wspeek${process.pid}`;
  const started = Date.now();
  let socketPath = '';
  try {
    stderrFile = path.join(home, 'stderr.log');
    const command = `exec env HOME=${quote(home)} ${quote(process.execPath)} ${quote(MAIN)} demo 2>${quote(stderrFile)}`;
    const created = tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '45', '-c', home, command);
    assert.equal(created.status, 0, created.stderr);
    socketPath = tmux('display-message', '-p', '-t', session, '#{socket_path}').stdout.trim();

    // The panes and the demo's traffic.
    let screen = await waitFor(session, 'the panes and demo traffic', (s) =>
      s.includes('Connections') && s.includes('Messages') && s.includes('Detail') && s.includes('Hello, world') && /\d+ of \d+/.test(s) &&
      messageRows(s).some((r) => r.dir === '→') && messageRows(s).some((r) => r.dir === '←'));
    assert.match(screen, /ws:\/\/127\.0\.0\.1:\d+\/chat/);
    assert.match(screen, / wspeek demo 127\.0\.0\.1:\d+ │ → http:\/\/127\.0\.0\.1:\d+/);
    assert.match(screen, /─ ▶ Messages ─/, 'the focused pane says so in its title');
    assert.equal(borderColour(session, 'Messages'), '33', 'the messages pane has the focus');
    assert.ok(messageRows(screen).some((r) => r.kind === 'text' && /\d\.\d KiB/.test(r.line)), 'lengths in KiB');

    // A live filter.
    tmux('send-keys', '-t', session, '/');
    tmux('send-keys', '-t', session, '-l', 'server and len>50');
    tmux('send-keys', '-t', session, 'Enter');
    screen = await waitFor(session, 'the filter in force', (s) => {
      const m = /^filter: server and len>50 +([\d,]+) of ([\d,]+) *$/m.exec(s);
      return !!m && Number(m[1]!.replace(/,/g, '')) > 0 && Number(m[1]!.replace(/,/g, '')) < Number(m[2]!.replace(/,/g, '')) && messageRows(s).length > 0;
    });
    let rows = messageRows(screen);
    for (const r of rows) {
      assert.equal(r.dir, '←', r.line);
      assert.ok(r.length > 50, r.line);
    }
    assert.equal(borderColour(session, 'Messages'), '33', 'Enter applied the filter and left the focus where it was');
    assert.notEqual(borderColour(session, 'Detail'), '33');

    // An invalid filter: the error shows, the last good filter stays in force. (Typing applies
    // every good prefix, so the text is appended to the filter: ' | kind' matches nothing more.)
    tmux('send-keys', '-t', session, '/');
    tmux('send-keys', '-t', session, '-l', ' | kind:(');
    screen = await waitFor(session, 'the filter error', (s) => s.includes("✗ expected a value after 'kind:'"));
    const bottom = screen.trimEnd().split('\n').slice(-2).join('\n');
    assert.match(bottom, /filter: server and len>50 \| kind:\(█ {2}✗ expected a value after 'kind:' \(at \d+\)/);
    rows = messageRows(screen);
    assert.ok(rows.length > 0, 'rows still show');
    for (const r of rows) assert.ok(r.dir === '←' && r.length > 50, r.line);
    tmux('send-keys', '-t', session, 'Escape');
    screen = await waitFor(session, 'the editor closed', (s) => /^filter: server and len>50 +[\d,]+ of [\d,]+ *$/m.test(s));
    assert.ok(!screen.includes('✗'));

    // Help, closed by any key.
    tmux('send-keys', '-t', session, '?');
    screen = await waitFor(session, 'the help', (s) => s.includes('Keys') && s.includes('Filter and find expressions'));
    assert.match(screen, /q {2}Ctrl-C +quit/);
    tmux('send-keys', '-t', session, 'x');
    await waitFor(session, 'the help closed', (s) => !s.includes('Filter and find expressions'));

    // At 80×24: every pane laid out for it; the connections pane follows the newest connection.
    tmux('resize-window', '-t', session, '-x', '80', '-y', '24');
    screen = await waitFor(session, 'the screen at 80×24 with newer connections than fit', (s) => {
      const lines = s.split('\n');
      const total = /all connections \((\d+),/.exec(s);
      return lines.length >= 24 && lines.every((l) => l.length <= 80) && !!total && Number(total[1]) >= 4 && messageRows(s).length > 0 && connectionIds(s).length > 0;
    });
    const lines = screen.split('\n');
    const status = lines.find((l) => l.startsWith(' wspeek '))!;
    assert.match(status, / {2}FOLLOW {2}\? help *$/, `the status bar keeps "? help" whole: ${status}`);
    assert.doesNotMatch(status, /\S(FOLLOW|\? help)/, 'no two items run together');
    assert.ok(Math.max(...connectionIds(screen)) >= Math.max(...messageRows(screen).map((r) => r.conn)), `the newest connection is in view:\n${screen}`);
    for (const l of lines.filter((x) => /^│[ ▶▷]#\d+ /.test(x))) assert.match(l, /\/(chat|plain) /, `the URL keeps its path: ${l}`);

    tmux('send-keys', '-t', session, 'q');
    const deadline = Date.now() + 10_000;
    while (tmux('has-session', '-t', session).status === 0) {
      if (Date.now() > deadline) assert.fail(`still running after q:\n${tmux('capture-pane', '-p', '-t', session).stdout}`);
      await sleep(200);
    }
    t.diagnostic(`end to end in ${Date.now() - started} ms`);
  } finally {
    tmux('kill-session', '-t', session);
    tmux('kill-server');
    if (socketPath.includes(SOCKET)) fs.rmSync(socketPath, { force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
});
