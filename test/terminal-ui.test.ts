import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import blessed from 'blessed';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { FILTER_HELP } from '../core/filter/filter-help.js';
import { KEYS } from '../tui/help.js';
import { colourMode, render, STYLE_TAGS, terminalColours } from '../tui/terminal-ui.js';
import { seg, type Line } from '../tui/styled-text.js';
import { waitUntil, within } from './support/wait.js';

const EVIL = '\x1b[2J\x1b]0;title\x07\x07\x9b31m\x7f\u202eevil\u200b{red-fg}x{/red-fg}\r\n';

// ---------------------------------------------------------------------------------------------
// render: the last step before the terminal

test('render: every piece is made visible and its markup escaped, then wrapped in its style', () => {
  assert.equal(render([[seg('plain'), seg('dim', 'dim')], [seg('bad', 'bad')]], 'full'), 'plain{gray-fg}dim{/}\n{red-fg}{bold}bad{/}');
  assert.equal(render([[seg('plain'), seg('dim', 'dim')], [seg('bad', 'bad')]], 'none'), 'plaindim\n{bold}bad{/}');
  assert.equal(render([[seg('{red-fg}x{/red-fg}')]], 'full'), '{open}red-fg{close}x{open}/red-fg{close}');
  assert.equal(render([[seg('\x1b[2J\x9b\u202e')]], 'full'), '\\x1b[2J\\x9b\\u{open}202e{close}', 'even text the model forgot to make visible');
  const out = render([[seg(EVIL, 'match'), seg(EVIL, 'selected')], [seg(EVIL)]], 'full');
  assert.doesNotMatch(out.replace(/\n/g, ''), /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b]/);
  assert.equal(out.split('\n').length, 2, 'only the line breaks between lines');
  // Only our own style tags are left as markup: no brace from the text survives unescaped.
  const withoutOurTags = out.replace(/\{(?:yellow-fg|inverse|\/|open|close)\}/g, '');
  assert.doesNotMatch(withoutOurTags, /[{}]/);
});

test('render: blessed draws peer markup literally and does not recolour', () => {
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 60, rows: 5 });
  output.resume();
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const screen = blessed.screen({ input, output, terminal: 'xterm-256color', warnings: false });
  try {
    const content = render([[seg('a{red-fg}x{/red-fg}{bold}'), seg(' dim', 'dim')] as Line, [seg('{/}b\x1b[31m', 'plain')]], 'full');
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
// Colours: how many the terminal has, and what each style is drawn with

test('terminalColours: a 256color name or COLORTERM outranks the 8 colours of the entry blessed falls back on; the Linux console draws 16', () => {
  assert.equal(terminalColours('tmux-256color', '', 8), 256);
  assert.equal(terminalColours('screen-256color', '', 8), 256);
  assert.equal(terminalColours('xterm-256color', '', 256), 256);
  assert.equal(terminalColours('xterm', 'truecolor', 8), 256);
  assert.equal(terminalColours('xterm', '24bit', 8), 256);
  assert.equal(terminalColours('linux', '', 8), 16);
  assert.equal(terminalColours('screen', '', 8), 8);
  assert.equal(terminalColours('xterm', '', 8), 8);
  assert.equal(terminalColours('xterm-16color', '', 16), 16);
  assert.equal(terminalColours('vt100', '', -1), -1);
});

test('colourMode: NO_COLOR set and non-empty means none; 16 colours and more full, 8 basic, fewer none', () => {
  assert.equal(colourMode(undefined, 256), 'full');
  assert.equal(colourMode('', 256), 'full', 'an empty NO_COLOR does not count');
  assert.equal(colourMode('1', 256), 'none');
  assert.equal(colourMode('0', 16), 'none', 'any non-empty value');
  assert.equal(colourMode(undefined, 16), 'full');
  assert.equal(colourMode(undefined, 8), 'basic');
  assert.equal(colourMode(undefined, 2), 'none');
  assert.equal(colourMode(undefined, -1), 'none');
});

test('STYLE_TAGS: never a black foreground; grey is bright black only with 16 colours; without colour only bold, underline and reverse', () => {
  for (const [mode, tags] of Object.entries(STYLE_TAGS)) {
    for (const [style, tag] of Object.entries(tags)) assert.doesNotMatch(tag, /black/, `${mode} ${style}`);
  }
  assert.equal(STYLE_TAGS.full.dim, '{gray-fg}');
  assert.equal(STYLE_TAGS.basic.dim, '', 'with 8 colours grey would be black: the text keeps its colour');
  for (const [style, tag] of Object.entries(STYLE_TAGS.none)) assert.match(tag, /^(\{(bold|underline|inverse)\})*$/, style);
  assert.equal(STYLE_TAGS.none.selected, '{inverse}');
  assert.equal(STYLE_TAGS.none['selected-unfocused'], '{underline}');
  assert.notEqual(STYLE_TAGS.none.match, '', 'find matches stay visible');
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

/** A character on the screen and how it is drawn (`default`: the terminal's own colour). */
interface Cell {
  ch: string;
  fg: string;
  bg: string;
  bold: boolean;
  underline: boolean;
  reverse: boolean;
}

/** The screen as cells, from `capture-pane -e` (SGR state carries across lines). */
function screenCells(ansi: string): Cell[][] {
  const rows: Cell[][] = [[]];
  let pen: Omit<Cell, 'ch'> = { fg: 'default', bg: 'default', bold: false, underline: false, reverse: false };
  for (let i = 0; i < ansi.length;) {
    const c = ansi[i]!;
    if (c === '\x1b') {
      const csi = /^\x1b\[([0-9;:]*)([A-Za-z])/.exec(ansi.slice(i, i + 40));
      if (csi) {
        if (csi[2] === 'm') pen = sgr(pen, csi[1]!);
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
    rows.at(-1)!.push({ ch, ...pen });
    i += ch.length;
  }
  return rows;
}

function sgr(pen: Omit<Cell, 'ch'>, params: string): Omit<Cell, 'ch'> {
  const next = { ...pen };
  const p = params === '' ? [0] : params.split(/[;:]/).map(Number);
  for (let j = 0; j < p.length; j++) {
    const n = p[j]!;
    if (n === 0) Object.assign(next, { fg: 'default', bg: 'default', bold: false, underline: false, reverse: false });
    else if (n === 1) next.bold = true;
    else if (n === 4) next.underline = true;
    else if (n === 7) next.reverse = true;
    else if (n === 22) next.bold = false;
    else if (n === 24) next.underline = false;
    else if (n === 27) next.reverse = false;
    else if (n === 39) next.fg = 'default';
    else if (n === 49) next.bg = 'default';
    else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) next.fg = String(n);
    else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) next.bg = String(n);
    else if (n === 38 || n === 48) {
      const skip = p[j + 1] === 5 ? 2 : p[j + 1] === 2 ? 4 : 0;
      const colour = p.slice(j, j + 1 + skip).join(';');
      if (n === 38) next.fg = colour;
      else next.bg = colour;
      j += skip;
    }
  }
  return next;
}

const rowText = (row: Cell[]) => row.map((c) => c.ch).join('');

/** The cells of a pane's label (" Messages ") and the border cell just after it. */
function labelCells(cells: Cell[][], label: string): { label: Cell[]; border: Cell } {
  for (const row of cells) {
    // The focused pane's title is marked: " ▶ Messages ".
    const m = new RegExp(`─( (?:▶ )?${label} )─`).exec(rowText(row));
    if (m) return { label: row.slice(m.index + 1, m.index + 1 + m[1]!.length), border: row[m.index + 1 + m[1]!.length]! };
  }
  assert.fail(`no pane labelled ${label}`);
}

/** The colour of the border just after a pane's label: yellow (33) marks the focused pane. */
function borderColour(session: string, label: string): string {
  return labelCells(screenCells(tmux('capture-pane', '-p', '-e', '-t', session).stdout), label).border.fg;
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
      messageRows(s).some((r) => r.dir === '→') && messageRows(s).some((r) => r.dir === '←')
      // The 4 KiB message comes a few messages in: on a loaded machine the first rows can be drawn before it.
      && messageRows(s).some((r) => r.kind === 'text' && /\d\.\d KiB/.test(r.line)));
    assert.match(screen, /ws:\/\/127\.0\.0\.1:\d+\/chat/);
    assert.match(screen, / wspeek demo 127\.0\.0\.1:\d+ │ → http:\/\/127\.0\.0\.1:\d+/);
    assert.match(screen, /─ ▶ Messages ─/, 'the focused pane says so in its title');
    assert.ok(messageRows(screen).some((r) => r.kind === 'text' && /\d\.\d KiB/.test(r.line)), 'lengths in KiB');
    assert.equal(borderColour(session, 'Messages'), '33', 'the messages pane has the focus');
    // The JSON-RPC connection's rows: its protocol in a column, what the calls say as the preview.
    screen = await waitFor(session, 'the JSON-RPC rows', (s) => /json-rpc +response add #1 ↩\d+/.test(s));
    assert.match(screen, / proto +payload/);

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

    // Help, closed by q (which quits only once it is closed).
    tmux('send-keys', '-t', session, '?');
    screen = await waitFor(session, 'the help', (s) => s.includes('Keys') && s.includes('Filter and find expressions'));
    assert.match(screen, /q {2}Ctrl-C +quit/);
    tmux('send-keys', '-t', session, 'q');
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
    for (const l of lines.filter((x) => /^│[ ▶▷]#\d+ /.test(x))) assert.match(l, /\/(chat|rpc|plain) /, `the URL keeps its path: ${l}`);

    // Quit: the program ends, and with it the tmux session.
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

// ---------------------------------------------------------------------------------------------
// Colours under each TERM and NO_COLOR, and the help at 80×24: `wspeek open` in one tmux server

/** Grey as bright black: SGR 90, or colour 8 or 244 of 256. */
const BRIGHT_BLACK = ['90', '38;5;8', '38;5;244'];

/** Each terminal: its environment, and the colours grey may be drawn in there. */
const TERMINALS: Array<{ name: string; env: string; grey: string[] }> = [
  { name: 'tmux-256color', env: 'TERM=tmux-256color', grey: BRIGHT_BLACK },
  { name: 'screen-256color', env: 'TERM=screen-256color', grey: BRIGHT_BLACK },
  { name: 'xterm-256color', env: 'TERM=xterm-256color', grey: BRIGHT_BLACK },
  { name: 'screen (8 colours)', env: 'TERM=screen', grey: ['default'] },
  { name: 'linux (the console draws 90-97)', env: 'TERM=linux', grey: BRIGHT_BLACK },
  { name: 'NO_COLOR', env: 'TERM=xterm-256color NO_COLOR=1', grey: ['default'] },
];

/** The inner lines of the help overlay on a captured screen (between its borders). */
function helpBox(screen: string): string[] {
  const rows = screen.split('\n').map((r) => [...r]);
  const top = rows.findIndex((r) => r.join('').includes('┌─ Help ─'));
  assert.ok(top >= 0, `the help shows:\n${screen}`);
  const left = rows[top]!.join('').indexOf('┌─ Help ─');
  const right = rows[top]!.indexOf('┐', left);
  const lines: string[] = [];
  for (let y = top + 1; rows[y] && rows[y]![left] === '│'; y++) lines.push(rows[y]!.slice(left + 1, right).join(''));
  return lines;
}

const squeeze = (s: string) => s.replace(/\s+/g, ' ').trim();

test('colours under tmux-256color, screen-256color, xterm-256color, screen, linux and NO_COLOR; the help at 80×24', { timeout: 60_000 }, async (t) => {
  if (!hasTmux()) {
    t.skip('tmux not installed');
    return;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-colours-'));
  let socketPath = '';
  try {
    const log = path.join(home, 'demo.jsonl');
    const demo = spawnSync(process.execPath, [MAIN, 'demo', '--json'], { env: { ...process.env, HOME: home }, encoding: 'utf8', timeout: 15_000 });
    assert.equal(demo.status, 0, demo.stderr);
    fs.writeFileSync(log, demo.stdout);
    const sessions = TERMINALS.map((terminal, i) => {
      const session = `colours${i}`;
      const stderr = path.join(home, `${session}.log`);
      const command = `exec env -u NO_COLOR -u COLORTERM ${terminal.env} HOME=${quote(home)} ${quote(process.execPath)} ${quote(MAIN)} open ${quote(log)} 2>${quote(stderr)}`;
      const created = tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-c', home, command);
      assert.equal(created.status, 0, created.stderr);
      return { ...terminal, session, stderr };
    });
    socketPath = tmux('display-message', '-p', '-t', sessions[0]!.session, '#{socket_path}').stdout.trim();
    for (const { session, stderr } of sessions) {
      stderrFile = stderr;
      await waitFor(session, 'the panes', (s) => s.includes('Messages') && messageRows(s).length > 0);
      // Find, so that its highlight is on the screen too.
      tmux('send-keys', '-t', session, 'F');
      tmux('send-keys', '-t', session, '-l', 'hello');
      tmux('send-keys', '-t', session, 'Enter');
    }

    for (const { name, session, grey } of sessions) {
      await t.test(name, async () => {
        stderrFile = path.join(home, `${session}.log`);
        await waitFor(session, 'find in force', (s) => /^filter: .*find: hello /m.test(s));
        const cells = screenCells(tmux('capture-pane', '-p', '-e', '-t', session).stdout);
        const all = cells.flat();
        const black = all.filter((c) => c.fg === '30' || c.fg === '38;5;0');
        assert.equal(black.length, 0, `black foreground on ${black.map((c) => c.ch).join('')}`);
        // blessed's complaints about a terminfo entry it can't read must not reach the terminal.
        assert.doesNotMatch(fs.readFileSync(path.join(home, `${session}.log`), 'utf8'), /Error on /, 'nothing but wspeek\'s own lines on stderr');
        const noColour = name === 'NO_COLOR';

        // Grey: the borders of the panes without the focus, and the dim columns (the time of a message).
        const connections = labelCells(cells, 'Connections');
        assert.ok(grey.includes(connections.border.fg), `the border of an unfocused pane is ${connections.border.fg}, not ${grey.join(' or ')}`);
        // A list row: the border, the cursor's gutter, then the time.
        const row = cells.find((r) => /^│ \d\d:\d\d:\d\d\.\d{3} /.test(rowText(r)) && !r[2]!.reverse);
        assert.ok(row, 'an unselected message row');
        assert.ok(grey.includes(row[2]!.fg), `the time column is ${row[2]!.fg}, not ${grey.join(' or ')}`);

        // The focus, the selection, the find highlight and the status bar stay visible.
        const messages = labelCells(cells, 'Messages');
        const selected = cells.find((r) => /^│▶\d\d:\d\d:\d\d\.\d{3} /.test(rowText(r)) && r.slice(1, -1).every((c) => c.reverse));
        assert.ok(selected, 'the selected message row is in reverse');
        const filterRow = cells.find((r) => rowText(r).startsWith('filter: '))!;
        const at = rowText(filterRow).indexOf('find: hello') + 'find: '.length;
        const found = filterRow.slice(at, at + 'hello'.length);
        const status = cells.find((r) => rowText(r).startsWith(' wspeek '))!;
        const header = cells.find((r) => /^│ time +Δ/.test(rowText(r)))!;
        if (noColour) {
          const coloured = all.filter((c) => c.fg !== 'default' || c.bg !== 'default');
          assert.equal(coloured.length, 0, `no colour at all, yet: ${coloured.slice(0, 10).map((c) => `${c.ch}(${c.fg}/${c.bg})`).join(' ')}…`);
          assert.ok(messages.label.every((c) => c.reverse) && messages.border.bold, 'the focused pane: its label in reverse, its border bold');
          assert.ok(connections.label.every((c) => !c.reverse) && !connections.border.bold, 'the others: neither');
          assert.ok(found.every((c) => c.bold && !c.reverse), 'find matches are bold');
          assert.ok(status.every((c) => c.reverse), 'the status bar is in reverse');
          assert.ok(header[2]!.bold, 'headings are bold');
        } else {
          assert.equal(messages.border.fg, '33', 'the focused pane has a yellow border');
          assert.notEqual(connections.border.fg, '33');
          assert.ok(all.some((c) => c.ch === '→' && c.fg === '32') && all.some((c) => c.ch === '←' && c.fg === '36'), 'directions in green and cyan');
          assert.ok(found.every((c) => c.reverse && c.fg === '33'), 'find matches in reverse yellow');
          assert.ok(status.every((c) => c.bg === '44'), 'the status bar is blue');
          assert.ok(header[2]!.bold && header[2]!.fg === '33', 'headings are bold yellow');
        }
      });
    }

    await t.test('the help at 80×24: wrapped to the overlay, scrolled to its last line, closed by q', async () => {
      const { session, stderr } = sessions[0]!;
      stderrFile = stderr;
      tmux('send-keys', '-t', session, '?');
      let box = helpBox(await waitFor(session, 'the help', (s) => s.includes('─ Help ─') && s.includes('Keys')));
      const first = squeeze(box.join(' '));
      for (const [keys, action] of KEYS.slice(0, 6)) assert.ok(first.includes(squeeze(`${keys} ${action}`)), `in full: ${keys} ${action}\n${box.join('\n')}`);
      assert.ok(!first.includes('Mouse: click selects'), 'the last line is below the first page');
      const footer = /^1–(\d+) of (\d+) · ↑ ↓ PgUp PgDn j k g G scroll · q Esc \? close/.exec(box.at(-1)!);
      assert.ok(footer, `the footer: ${box.at(-1)}`);
      assert.ok(Number(footer[2]) > Number(footer[1]));
      tmux('send-keys', '-t', session, 'G');
      box = helpBox(await waitFor(session, 'the last help line', (s) => s.includes('Mouse: click selects, the wheel scrolls.')));
      assert.match(box.at(-1)!, new RegExp(`^\\d+–${footer[2]} of ${footer[2]} `));
      assert.ok(squeeze(box.join(' ')).includes(squeeze(FILTER_HELP.at(-1)!.join(' '))), 'the last filter row in full');
      tmux('send-keys', '-t', session, 'q');
      await waitFor(session, 'the help closed, the UI still there', (s) => !s.includes('─ Help ─') && s.includes('Messages') && messageRows(s).length > 0);
    });
  } finally {
    tmux('kill-server');
    if (socketPath.includes(SOCKET)) fs.rmSync(socketPath, { force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('wspeek demo in a real terminal: y copies with OSC 52 into tmux, w writes the exact bytes, M hands the mouse back, s saves the view', { timeout: 60_000 }, async (t) => {
  if (!hasTmux()) {
    t.skip('tmux not installed');
    return;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-tui-'));
  const session = `wspeek${process.pid}out`;
  let socketPath = '';
  const filterTo = async (expression: string) => {
    tmux('send-keys', '-t', session, '/');
    tmux('send-keys', '-t', session, 'C-u');
    tmux('send-keys', '-t', session, '-l', expression);
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(session, `the filter ${expression} with rows`, (s) => new RegExp(`^filter: ${expression.replace(/"/g, '.')} +[1-9][\\d,]* of `, 'm').test(s));
  };
  const bottom = (s: string) => s.trimEnd().split('\n').slice(-2).join('\n');
  try {
    stderrFile = path.join(home, 'stderr.log');
    const command = `exec env HOME=${quote(home)} ${quote(process.execPath)} ${quote(MAIN)} demo 2>${quote(stderrFile)}`;
    const created = tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '45', '-c', home, command);
    assert.equal(created.status, 0, created.stderr);
    socketPath = tmux('display-message', '-p', '-t', session, '#{socket_path}').stdout.trim();
    // tmux's default (external) ignores an application's OSC 52; `on` takes it as a paste buffer.
    assert.equal(tmux('set-option', '-s', 'set-clipboard', 'on').status, 0);
    await waitFor(session, 'demo traffic', (s) => s.includes('Hello, world') && messageRows(s).length > 0);

    // w: the demo client's 32-byte binary message, written byte for byte.
    await filterTo('client and binary');
    tmux('send-keys', '-t', session, 'w');
    let screen = await waitFor(session, 'the payload written', (s) => / wrote 32 B to wspeek-conn\d+-seq\d+-\d{8}-\d{6}\.bin /.test(s));
    const name = / wrote 32 B to (\S+)/.exec(screen)![1]!;
    assert.deepEqual(fs.readFileSync(path.join(home, name)), Buffer.from(Array.from({ length: 32 }, (_, i) => i * 8)));
    // W: the subscribe message, indented.
    await filterTo('client and payload:subscribe');
    tmux('send-keys', '-t', session, 'W');
    screen = await waitFor(session, 'the JSON written', (s) => / wrote \d+ B of indented JSON to \S+-indented\.json /.test(s));
    const json = / of indented JSON to (\S+)/.exec(screen)![1]!;
    assert.equal(fs.readFileSync(path.join(home, json), 'utf8'), '{\n  "type": "subscribe",\n  "channel": "prices"\n}\n');

    // y: the text reaches tmux's paste buffer through OSC 52, and nothing of it shows on the screen.
    await filterTo('client and "Hello from"');
    tmux('send-keys', '-t', session, 'y');
    screen = await waitFor(session, 'the copy notice', (s) => s.includes('copied 33 B of text to the clipboard'));
    assert.doesNotMatch(screen, /52;c;/);
    const deadline = Date.now() + 5000;
    let buffer = tmux('show-buffer');
    while (buffer.stdout !== 'Hello from the wspeek demo client' && Date.now() < deadline) {
      await sleep(100);
      buffer = tmux('show-buffer');
    }
    assert.equal(buffer.stdout, 'Hello from the wspeek demo client', buffer.stderr);

    // M: the terminal's mouse reporting off (tmux sees the modes reset), and on again.
    const mouseReporting = () => tmux('display-message', '-p', '-t', session, '#{mouse_any_flag}').stdout.trim();
    assert.equal(mouseReporting(), '1');
    tmux('send-keys', '-t', session, 'M');
    await waitFor(session, 'MOUSE OFF', (s) => / MOUSE OFF {2}\? help/.test(s));
    assert.equal(mouseReporting(), '0');
    tmux('send-keys', '-t', session, 'M');
    await waitFor(session, 'the mouse back on', (s) => s.includes('mouse on: click selects') && !s.includes('MOUSE OFF'));
    assert.equal(mouseReporting(), '1');

    // s: a name of the user's choosing; the same name again is refused, the file left as it was.
    tmux('send-keys', '-t', session, 's');
    await waitFor(session, 'the save prompt', (s) => /^save view as: wspeek-view-\d{8}-\d{6}\.jsonl█ {2}format: \[jsonl\]/m.test(s));
    tmux('send-keys', '-t', session, 'C-u');
    tmux('send-keys', '-t', session, '-l', 'view.jsonl');
    tmux('send-keys', '-t', session, 'Enter');
    screen = await waitFor(session, 'the view saved', (s) => /saved \d+ messages \(\d+ records\) to view\.jsonl/.test(s));
    const saved = fs.readFileSync(path.join(home, 'view.jsonl'), 'utf8');
    const types = saved.trimEnd().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    assert.ok(types.includes('message') && types.includes('handshake'), types.join());
    tmux('send-keys', '-t', session, 's');
    tmux('send-keys', '-t', session, 'C-u');
    tmux('send-keys', '-t', session, '-l', 'view.jsonl');
    tmux('send-keys', '-t', session, 'Enter');
    screen = await waitFor(session, 'the refusal', (s) => s.includes('✗ view.jsonl already exists; wspeek never overwrites a file'));
    assert.match(bottom(screen), /^save view as: view\.jsonl█/);
    assert.equal(fs.readFileSync(path.join(home, 'view.jsonl'), 'utf8'), saved);
    tmux('send-keys', '-t', session, 'Escape');
    await waitFor(session, 'the prompt closed', (s) => /^filter: client and "Hello from"/m.test(s));
  } finally {
    tmux('kill-session', '-t', session);
    tmux('kill-server');
    if (socketPath.includes(SOCKET)) fs.rmSync(socketPath, { force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Acting on the conversation: a real ws echo server behind wspeek in reverse mode, a ws client
// through it, and the keys in tmux.

test('acting in a real terminal: the intercept filter holds, the held count shows, e edits through $EDITOR, a forwards, x closes, q asks about what is held', { timeout: 60_000 }, async (t) => {
  if (!hasTmux()) {
    t.skip('tmux not installed');
    return;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-acting-'));
  const session = `wspeek${process.pid}act`;
  let socketPath = '';
  const received: string[] = [];
  const closes: Array<{ code: number; reason: string }> = [];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (ws) => {
    ws.on('message', (data: RawData, binary: boolean) => {
      received.push(binary ? `binary ${Buffer.from(data as Buffer).toString('hex')}` : Buffer.from(data as Buffer).toString('utf8'));
    });
    ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
  });
  await within(new Promise((r) => server.once('listening', r)), 'the echo server listening');
  const clients: WebSocket[] = [];
  try {
    // The editor: replaces "secret" with "public" and saves with a newline at the end, as editors do;
    // it notes the file it got and its mode, to check that file was private and is gone after.
    const editor = path.join(home, 'edit.mjs');
    fs.writeFileSync(editor, [
      "import fs from 'node:fs';",
      'const file = process.argv[2];',
      "fs.appendFileSync(new URL('./edited.log', import.meta.url), `${file} ${(fs.statSync(file).mode & 0o777).toString(8)}\\n`);",
      "fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('secret', 'public') + '\\n');",
    ].join('\n'));
    stderrFile = path.join(home, 'stderr.log');
    const { port } = server.address() as { port: number };
    const env = `HOME=${quote(home)} EDITOR=${quote(`${quote(process.execPath)} ${quote(editor)}`)}`;
    const command = `exec env -u VISUAL ${env} ${quote(process.execPath)} ${quote(MAIN)} --target ws://127.0.0.1:${port} --listen 127.0.0.1:0 2>${quote(stderrFile)}`;
    const created = tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '40', '-c', home, command);
    assert.equal(created.status, 0, created.stderr);
    socketPath = tmux('display-message', '-p', '-t', session, '#{socket_path}').stdout.trim();
    await waitFor(session, 'the UI', (s) => s.includes('waiting for WebSocket messages'));
    const listening = /listening on 127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(stderrFile, 'utf8'));
    assert.ok(listening, 'wspeek said where it listens');

    // i: hold the messages with "secret" in them.
    tmux('send-keys', '-t', session, 'i');
    tmux('send-keys', '-t', session, '-l', 'payload:secret');
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(session, 'the intercept filter in force', (s) => /intercept: payload:secret/.test(s) && / │ held 0 │ /.test(s));

    const client = new WebSocket(`ws://127.0.0.1:${listening[1]}/`);
    clients.push(client);
    const clientClosed = new Promise<number>((r) => client.once('close', (code) => r(code)));
    await within(new Promise((r) => client.once('open', r)), 'the client connected through wspeek');
    client.send('hello 1');
    client.send('my secret');
    client.send('hello 2');
    let screen = await waitFor(session, 'the message held, and the one behind it waiting', (s) => / │ held 1, 1 frame \(13 B\) waiting behind │ /.test(s) && messageRows(s).length === 3);
    assert.match(screen, /→ text +9 B HELD +my secret/);
    await waitUntil('the server got the message before the held one', () => received.length === 1);
    assert.deepEqual(received, ['hello 1'], 'the held message, and what the client sent after it, wait');

    // e on the held row: the editor gets the terminal, and the edit is held until a.
    tmux('send-keys', '-t', session, 'k');
    await waitFor(session, 'the held row selected', (s) => /^│▶.*HELD +my secret/m.test(s));
    tmux('send-keys', '-t', session, 'e');
    screen = await waitFor(session, 'the edit', (s) => s.includes('edited message 2 of #1: held until a forwards it (9 B)'));
    assert.match(screen, /HELD edited +my secret/);
    assert.match(screen, /Edited: what wspeek sends instead \(once forwarded\)/);
    assert.deepEqual(received, ['hello 1'], 'an edit sends nothing yet');
    const [edited, mode] = fs.readFileSync(path.join(home, 'edited.log'), 'utf8').trim().split(' ');
    assert.equal(mode, '600', 'the file to edit was private');
    assert.equal(fs.existsSync(path.dirname(edited!)), false, 'and is gone, with its directory');
    const terminal = tmux('display-message', '-p', '-t', session, '#{alternate_on} #{cursor_flag} #{mouse_any_flag}').stdout.trim();
    assert.equal(terminal, '1 0 1', 'the UI has the terminal back: its screen, no cursor, the mouse');

    // a: the edit goes, then what waited behind it, in order; the newline the editor added is not sent.
    tmux('send-keys', '-t', session, 'a');
    await waitFor(session, 'the forward', (s) => s.includes('forwarded message 2 of #1 as edited') && / │ held 0 │ /.test(s));
    await waitUntil('the server got the edit and what waited', () => received.length === 3);
    assert.deepEqual(received, ['hello 1', 'my public', 'hello 2']);

    // q with a message held asks; Esc stays.
    client.send('secret 2');
    await waitFor(session, 'another held', (s) => / │ held 1 │ /.test(s));
    tmux('send-keys', '-t', session, 'q');
    await waitFor(session, 'the quit prompt', (s) => s.includes('1 message is held: f forwards them all and quits · d drops them all and quits · Esc stays'));
    tmux('send-keys', '-t', session, 'Escape');
    await waitFor(session, 'the prompt gone', (s) => !s.includes('1 message is held:'));
    tmux('send-keys', '-t', session, 'G');
    await waitFor(session, 'the new held row selected', (s) => /^│▶.*HELD +secret 2/m.test(s));
    tmux('send-keys', '-t', session, 'd');
    await waitFor(session, 'the drop', (s) => /dropped message 4 of #1: the server never gets it/.test(s));

    // x: a close frame with the code and reason typed, to both sides.
    tmux('send-keys', '-t', session, 'x');
    await waitFor(session, 'the close prompt', (s) => /close #1 on purpose, code: 1000█ reason:/.test(s));
    tmux('send-keys', '-t', session, 'C-u');
    tmux('send-keys', '-t', session, '-l', '4321');
    tmux('send-keys', '-t', session, 'Tab');
    tmux('send-keys', '-t', session, '-l', 'closed by wspeek');
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(session, 'the close', (s) => s.includes('sent a close frame (4321 "closed by wspeek") to both sides of #1'));
    await waitUntil('the server saw the close', () => closes.length === 1);
    assert.deepEqual(closes, [{ code: 4321, reason: 'closed by wspeek' }]);
    assert.equal(await within(clientClosed, 'the client saw the close'), 4321);
    assert.deepEqual(received, ['hello 1', 'my public', 'hello 2'], 'the dropped message never arrived');

    tmux('send-keys', '-t', session, 'q');
    const deadline = Date.now() + 10_000;
    while (tmux('has-session', '-t', session).status === 0) {
      if (Date.now() > deadline) assert.fail(`still running after q:\n${tmux('capture-pane', '-p', '-t', session).stdout}`);
      await sleep(200);
    }
  } finally {
    for (const c of clients) c.terminate();
    server.close();
    tmux('kill-session', '-t', session);
    tmux('kill-server');
    if (socketPath.includes(SOCKET)) fs.rmSync(socketPath, { force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
});
