import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, type CompiledFilter } from '../core/filter/filter.js';
import type { Side } from '../core/websocket/events.js';
import { type ConnectRecord, type EndRecord, type FrameRecord, type HandshakeRecord, type LogRecord, type MessageRecord, type ViolationRecord } from '../core/log/records.js';
import { parseLogLine, SessionLogReader } from '../core/log/parse-line.js';
import protobuf from 'protobufjs';
import { AppLayer } from '../core/app/app-layer.js';
import { protobufTypes } from '../core/app/formats/protobuf-schema.js';
import { SessionStore } from '../core/store/session-store.js';
import { FILTER_HELP } from '../core/filter/filter-help.js';
import { AppModel, type Action, type Effect } from '../tui/app-model.js';
import { pointClientAt } from '../tui/client-hint.js';
import { localStamp } from '../tui/file-names.js';
import { clockTime, dateTime } from '../tui/format.js';
import { KEYS } from '../tui/help.js';
import { indentJson } from '../tui/indent-json.js';
import { osc52 } from '../tui/osc52.js';
import { ProtobufChoice } from '../tui/protobuf-choice.js';
import { screenLayout } from '../tui/screen-layout.js';
import { connStyle, lineText, type Line } from '../tui/styled-text.js';
import { messageOf } from './support/message-of.js';

// ---------------------------------------------------------------------------------------------
// Helpers: a small session built by hand and fed through the store, as the proxy would.

const T0 = Date.UTC(2024, 0, 15, 9, 30, 0, 0);
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

function connect(conn: number, ts: number, client = `127.0.0.1:${50000 + conn}`): ConnectRecord {
  return { type: 'connect', conn, ts, client, server: '127.0.0.1:3000', tls: false };
}

function handshake(conn: number, ts: number, path: string, extra: Partial<HandshakeRecord> = {}): HandshakeRecord {
  return {
    type: 'handshake', conn, ts, url: `ws://127.0.0.1:3000${path}`,
    request: {
      method: 'GET', target: path, version: 'HTTP/1.1',
      headers: [['Host', '127.0.0.1:3000'], ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']],
    },
    response: {
      version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols',
      headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']],
    },
    ms: 1.25, accept: 'valid', protocol: null, extensions: [], upgraded: true, ...extra,
  };
}

function frame(conn: number, ts: number, from: Side, opcode: number, length: number): FrameRecord {
  const masked = from === 'client';
  return { type: 'frame', conn, ts, from, fin: true, rsv: [false, false, false], opcode, masked, mask: masked ? '11223344' : null, length };
}

const OPCODE = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

interface Msg {
  conn: number;
  from: Side;
  kind?: MessageRecord['kind'];
  text?: string;
  bytes?: Buffer;
  close?: { code: number | null; reason: string };
  rtt?: number;
}

/** A frame record followed by its message record. */
function message(m: Msg, ts: number): [FrameRecord, MessageRecord] {
  const kind = m.kind ?? 'text';
  const payload = m.close
    ? Buffer.concat([m.close.code === null ? Buffer.alloc(0) : Buffer.of(m.close.code >> 8, m.close.code & 0xff), Buffer.from(m.close.reason)])
    : m.bytes ?? Buffer.from(m.text ?? '');
  const r: MessageRecord = {
    type: 'message', conn: m.conn, seq: 1, ts, from: m.from, kind, length: payload.length, wireLength: payload.length, frames: 1, compressed: false, truncated: false,
  };
  if (m.close) r.close = m.close;
  else if (m.text !== undefined) r.text = m.text;
  else r.base64 = payload.toString('base64');
  if (m.rtt !== undefined) r.rtt = m.rtt;
  return [frame(m.conn, ts, m.from, OPCODE[kind], payload.length), r];
}

function violation(conn: number, ts: number, from: Side, detail: string): ViolationRecord {
  return { type: 'violation', conn, ts, from, rule: 'invalid-close-code', rfc: '6455 7.4', detail };
}

function end(conn: number, ts: number, code: number | null): EndRecord {
  return { type: 'end', conn, ts, by: 'client', code, clean: code !== null, bytes: { client: 100, server: 200 }, frames: { client: 4, server: 4 }, durationMs: ts - T0, reason: null };
}

/** The messages of the standard session, in order (seq = index + 1). */
const MESSAGES: Msg[] = [
  { conn: 1, from: 'client', text: 'hello server' },
  { conn: 1, from: 'server', text: '{"type":"tick","seq":1,"price":100.25}' },
  { conn: 1, from: 'client', kind: 'binary', bytes: Buffer.from([0, 1, 2, 3, 0xfe, 0xff, 0x41, 0x42]) },
  { conn: 1, from: 'server', text: 'a needle in the haystack' },
  { conn: 1, from: 'client', kind: 'ping', bytes: Buffer.from('hb') },
  { conn: 1, from: 'server', kind: 'pong', bytes: Buffer.from('hb'), rtt: 1.5 },
  { conn: 1, from: 'client', kind: 'close', close: { code: 1000, reason: 'bye' } },
  { conn: 1, from: 'server', kind: 'close', close: { code: 1000, reason: 'bye' } },
  { conn: 2, from: 'server', text: 'feed needle 1' },
  { conn: 2, from: 'client', text: 'x' },
];

interface Session {
  model: AppModel;
  store: SessionStore;
  /** Every record added, in order. */
  records: LogRecord[];
  lastTs: number;
}

function session(keep = 1000, filter: CompiledFilter | null = null, app: AppLayer | null = null): Session {
  const model = new AppModel({ mode: 'reverse', listen: null, target: null, file: null }, keep, filter);
  const store = new SessionStore(app);
  store.subscribe((s) => model.add(s));
  const records: LogRecord[] = [];
  const add = (r: LogRecord) => {
    records.push(r);
    store.add(r);
  };
  add({ type: 'session', version: 1, tool: 'wspeek', ts: T0, mode: 'demo', listen: '127.0.0.1:9000', target: 'http://127.0.0.1:3000' });
  add(connect(1, T0 + 1));
  add(handshake(1, T0 + 2, '/chat', { protocol: 'chat' }));
  add(connect(2, T0 + 3));
  add(handshake(2, T0 + 4, '/feed'));
  let ts = T0 + 10;
  MESSAGES.forEach((m, i) => {
    ts += 10;
    if (i === 9) add(violation(2, ts - 1, 'client', 'close code 999'));
    for (const r of message(m, ts)) add(r);
    if (i === 7) add(end(1, ts + 1, 1000));
  });
  return { model, store, records, lastTs: ts };
}

/** Presses a key the way the screen passes it on: `ch` and blessed's full key name (Enter once, as 'enter'). */
function press(model: AppModel, key: string): Action {
  switch (key) {
    case 'enter': return model.key('\r', 'enter');
    case 'escape': return model.key('\x1b', 'escape');
    case 'tab': return model.key('\t', 'tab');
    case 'S-tab': return model.key(undefined, 'S-tab');
    case 'backspace': return model.key('\x7f', 'backspace');
    case 'space': return model.key(' ', 'space');
    case 'up': case 'down': case 'home': case 'end': case 'pageup': case 'pagedown': return model.key(undefined, key);
    case 'C-c': return model.key('\x03', 'C-c');
    case 'C-u': return model.key('\x15', 'C-u');
  }
  assert.equal([...key].length, 1, `one character: ${key}`);
  const name = /[A-Z]/.test(key) ? `S-${key.toLowerCase()}` : key;
  return model.key(key, name);
}

function type(model: AppModel, text: string): void {
  for (const c of text) model.key(c, c === ' ' ? 'space' : /[A-Z]/.test(c) ? `S-${c.toLowerCase()}` : c);
}

const W = 140;

/** The editor's text (a function, so TypeScript doesn't narrow model.input across key presses). */
const inputText = (model: AppModel): string | undefined => model.input?.text;
const inputKind = (model: AppModel): string | undefined => model.input?.kind;

/** Draws every pane once (as the screen does before each key) and returns all the text. */
function draw(model: AppModel, now: number): { connections: string[]; messages: string[]; detail: string[]; filter: string; status: string; all: Line[] } {
  const c = model.connectionLines(6, W, now);
  const m = model.messageLines(12, W);
  const d = model.detailLines(30, 80);
  const f = model.filterBar(W);
  const s = model.statusBar(W, now);
  return { connections: c.map(lineText), messages: m.map(lineText), detail: d.map(lineText), filter: lineText(f), status: lineText(s), all: [...c, ...m, ...d, f, s] };
}

/** Message rows (not the header) as drawn. */
function rowTexts(model: AppModel): string[] {
  return model.messageLines(40, W).slice(1).map(lineText);
}

// ---------------------------------------------------------------------------------------------

test('the session feeds the panes: connections, rows, status', () => {
  const { model, lastTs } = session();
  const d = draw(model, lastTs + 1);
  assert.match(d.connections[0]!, /^▷all connections \(2, 1 open\)/, 'the cursor is on "all connections", in a pane without the focus');
  assert.match(d.connections[1]!, /^ #1 ws:\/\/127\.0\.0\.1:3000\/chat chat closed 1000 → 4 \(27 B\) ← 4 \(69 B\) +\d+ms 127\.0\.0\.1:50001$/);
  assert.match(d.connections[2]!, /^ #2 ws:\/\/127\.0\.0\.1:3000\/feed {6}open {8}→ 1 \(1 B\) {2}← 1 \(13 B\) +\d+ms 127\.0\.0\.1:50002$/);
  assert.ok(d.connections.every((l) => l.length <= W));
  assert.match(d.messages[0]!, /^ time +Δ +conn +kind +length +payload/);
  assert.equal(d.messages.length, 11, 'header and 10 rows');
  assert.match(d.messages[1]!, new RegExp(`^ ${clockTime(T0 + 20).replace(/\./g, '\\.')} +#1 +→ text +12 B +hello server`));
  assert.match(d.messages[2]!, /\+10ms #1 {3}← text +38 B +\{"type":"tick"/);
  assert.match(d.messages[3]!, /#1 {3}→ binary +8 B +00 01 02 03 fe ff 41 42/);
  assert.match(d.messages[7]!, /→ close 1000 +5 B +Normal Closure "bye"/);
  assert.match(d.messages[10]!, /^▶.*#2 {3}→ text +1 B {2}! x *$/, 'the cursor, and the violation flag');
  assert.match(d.filter, /^filter: \(none, \/ to set\) +10 of 10$/);
  assert.equal(d.filter.length, W);
  assert.match(d.status, /^ wspeek demo 127\.0\.0\.1:9000 │ → http:\/\/127\.0\.0\.1:3000 │ conns 1\/2 │ /);
  assert.match(d.status, /FOLLOW {2}\? help $/);
  assert.equal(d.status.length, W);
});

test('the status bar shows the rates of the last second and the session file', () => {
  const { model, lastTs } = session();
  model.info.file = 'capture.jsonl';
  // Messages 1..10 arrive 10 ms apart, ending at lastTs: the last second holds all of them.
  let s = lineText(model.statusBar(W, lastTs + 1));
  assert.match(s, /→ 5 msg\/s 28 B\/s {2}← 5 msg\/s 82 B\/s/);
  assert.match(s, / │ capture\.jsonl/);
  s = lineText(model.statusBar(W, lastTs + 5000));
  assert.match(s, /→ 0 msg\/s 0 B\/s {2}← 0 msg\/s 0 B\/s/, 'nothing in the last second');
});

test('Tab cycles the focus through connections, messages, detail; Shift-Tab goes back', () => {
  const { model } = session();
  assert.equal(model.focus, 'messages');
  press(model, 'tab');
  assert.equal(model.focus, 'detail');
  press(model, 'tab');
  assert.equal(model.focus, 'connections');
  press(model, 'tab');
  assert.equal(model.focus, 'messages');
  press(model, 'S-tab');
  assert.equal(model.focus, 'connections');
  press(model, 'S-tab');
  assert.equal(model.focus, 'detail');
});

test("'/' opens the filter editor; typing applies live; Enter closes it", () => {
  const { model } = session();
  press(model, '/');
  assert.deepEqual(model.input, { kind: 'filter', text: '', before: '' });
  assert.deepEqual(lineText(model.filterBar(W)), 'filter: █');
  type(model, 'server');
  assert.equal(model.messages.filterSource, 'server', 'applied while typing');
  assert.equal(model.messages.length, 5);
  assert.ok(rowTexts(model).every((r) => r.includes(' ← ')));
  assert.equal(lineText(model.filterBar(W)), 'filter: server█');
  press(model, 'backspace');
  assert.equal(inputText(model), 'serve');
  type(model, 'r and len>20');
  assert.equal(model.messages.length, 2);
  assert.deepEqual(rowTexts(model).map((r) => /^.*? \d+ B +(.*)$/.exec(r.trimEnd())![1]), ['{"type":"tick","seq":1,"price":100.25}', 'a needle in the haystack']);
  press(model, 'enter');
  assert.equal(model.input, null);
  assert.equal(model.messages.filterSource, 'server and len>20');
  assert.match(lineText(model.filterBar(W)), /^filter: server and len>20 +2 of 10$/);
  // Reopening starts from the filter in force; C-u empties the line.
  press(model, '/');
  assert.equal(inputText(model), 'server and len>20');
  press(model, 'C-u');
  assert.equal(inputText(model), '');
  assert.equal(model.messages.length, 10);
});

test('Enter, which blessed reports as "enter" then "return", acts once', () => {
  const { model } = session();
  press(model, '/');
  type(model, 'client');
  press(model, 'enter');
  assert.equal(model.input, null);
  assert.equal(model.focus, 'messages', 'applying the filter does not also move the focus');
  press(model, 'enter');
  assert.equal(model.focus, 'detail', 'Enter on messages focuses the detail');
  press(model, '?');
  assert.equal(model.showHelp, true);
  press(model, 'enter');
  assert.equal(model.showHelp, true, 'Enter does not close the help');
  assert.equal(model.focus, 'detail', 'nor does anything else while the help shows');
});

test('Esc restores the filter in force before editing', () => {
  const { model } = session();
  press(model, '/');
  type(model, 'client');
  press(model, 'enter');
  assert.equal(model.messages.length, 5);
  press(model, '/');
  press(model, 'C-u');
  type(model, 'server');
  assert.equal(model.messages.filterSource, 'server');
  press(model, 'escape');
  assert.equal(model.input, null);
  assert.equal(model.inputError, null);
  assert.equal(model.messages.filterSource, 'client');
  assert.equal(model.messages.length, 5);
  assert.ok(rowTexts(model).every((r) => r.includes(' → ')));
});

test('an error in the filter is marked in place, keeps the last good filter, and Enter keeps the editor open', () => {
  const { model } = session();
  const backspace = (n: number) => {
    for (let i = 0; i < n; i++) press(model, 'backspace');
  };
  press(model, '/');
  type(model, 'needle');
  assert.equal(model.messages.length, 2);
  type(model, ' and kind:');
  assert.ok(model.inputError);
  type(model, '(');
  assert.deepEqual(model.inputError, { message: "expected a value after 'kind:'", position: 16, length: 1 });
  // Typing applies every good prefix: 'needle and kin' was the last one ('kind' alone needs a value).
  assert.equal(model.messages.filterSource, 'needle and kin', 'the last good filter stays in force');
  assert.equal(model.messages.length, 0);
  const bar = model.filterBar(W);
  assert.equal(lineText(bar), "filter: needle and kind:(█  ✗ expected a value after 'kind:' (at 17)");
  const marked = bar.filter((s) => s.style === 'bad');
  assert.deepEqual(marked.map((s) => s.text), ['(', "  ✗ expected a value after 'kind:' (at 17)"]);
  press(model, 'enter');
  assert.ok(model.input, 'Enter with an error keeps the editor open');
  assert.equal(inputText(model), 'needle and kind:(');
  backspace(1);
  assert.ok(model.inputError, "'needle and kind:' is still wrong");
  backspace(1);
  assert.equal(lineText(model.filterBar(W)), "filter: needle and kind█  ✗ 'kind' needs a value, e.g. kind:text (quote it to search for the word) (at 12)");
  assert.deepEqual(model.filterBar(W).filter((s) => s.style === 'bad')[0]!.text, 'kind', 'the whole word is marked');
  backspace(4);
  assert.equal(inputText(model), 'needle and ');
  assert.equal(model.messages.filterSource, 'needle and k');
  assert.equal(lineText(model.filterBar(W)), "filter: needle and  █  ✗ expected an expression after 'and' (at 12)", 'an error at the end marks a blank');
  backspace(4);
  assert.equal(inputText(model), 'needle ');
  assert.equal(model.inputError, null);
  assert.equal(model.messages.length, 2);
  press(model, 'enter');
  assert.equal(model.input, null);
  assert.equal(model.messages.filterSource, 'needle');
});

test('a filter parsed on the command line is in force from the first row, and the editor starts from it', () => {
  const parsed = parseFilter('server');
  assert.ok(parsed.ok);
  const { model } = session(1000, parsed);
  assert.equal(model.messages.filterSource, 'server');
  assert.equal(model.messages.length, 5);
  assert.ok(rowTexts(model).every((r) => r.includes(' ← ')));
  assert.match(lineText(model.filterBar(W)), /^filter: server +5 of 10$/);
  press(model, '/');
  assert.equal(inputText(model), 'server');
});

test('a typed filter or search that does not parse is reported with its position; the one in force stays', () => {
  const parsed = parseFilter('client');
  assert.ok(parsed.ok);
  const { model } = session(1000, parsed);
  press(model, '/');
  type(model, ' (kind:(');
  assert.deepEqual(model.inputError, { message: "expected a value after 'kind:'", position: 13, length: 1 });
  assert.equal(model.messages.filterSource, 'client');
  assert.equal(model.messages.length, 5);
  press(model, 'escape');
  press(model, 'F');
  type(model, 'needle');
  press(model, 'enter');
  press(model, 'F');
  type(model, ' (len>');
  assert.deepEqual(model.inputError, { message: "expected a number after 'len>'", position: 12, length: 1 });
  assert.equal(model.messages.searchSource, 'needle');
});

test('control keys do not type into the editor; C-c still quits', () => {
  const { model } = session();
  press(model, '/');
  type(model, 'ab');
  press(model, 'tab');
  press(model, 'up');
  model.key('\x7f', 'delete');
  model.key('\x1b[A', 'up');
  assert.equal(inputText(model), 'ab');
  assert.equal(press(model, 'C-c'), 'quit');
});

test("'F' finds without hiding rows; 'n' / 'N' move between matches, with a notice at the ends", () => {
  const { model } = session();
  assert.equal(press(model, 'n'), 'none');
  assert.equal(model.notice, 'nothing to find: press F first');
  assert.match(lineText(model.filterBar(W)), /nothing to find: press F first +10 of 10$/);
  press(model, 'F');
  assert.deepEqual(model.input, { kind: 'find', text: '', before: '' });
  type(model, 'needle');
  assert.equal(lineText(model.filterBar(W)), 'find: needle█  2 matches', 'the editor counts the matches as they are typed');
  press(model, 'enter');
  assert.equal(model.input, null);
  assert.equal(model.messages.length, 10, 'find hides nothing');
  assert.match(lineText(model.filterBar(W)), /^filter: \(none, \/ to set\) {2}find: needle {2}2 matches +10 of 10$/);
  // Matches are highlighted.
  const lines = model.messageLines(20, W).slice(1);
  const highlighted = lines.map((l, i) => (l.some((s) => s.style === 'match') ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(highlighted, [3, 8]);

  press(model, 'g');
  assert.equal(model.messages.cursor, 0);
  press(model, 'n');
  assert.equal(model.messages.cursor, 3);
  assert.equal(messageOf(model.messages.selected()).text, 'a needle in the haystack');
  assert.match(lineText(model.filterBar(W)), /find: needle {2}match 1 of 2 +10 of 10$/, 'which match, of how many');
  press(model, 'n');
  assert.equal(model.messages.cursor, 8);
  assert.match(lineText(model.filterBar(W)), /find: needle {2}match 2 of 2 /);
  press(model, 'n');
  assert.equal(model.messages.cursor, 8);
  assert.equal(model.notice, 'no more matches for needle');
  press(model, 'N');
  assert.equal(model.messages.cursor, 3);
  assert.equal(model.notice, null, 'the next key clears the notice');
  assert.match(lineText(model.filterBar(W)), /find: needle {2}match 1 of 2 /);
  press(model, 'N');
  assert.equal(model.messages.cursor, 3);
  assert.equal(model.notice, 'no more matches for needle');
  press(model, 'up');
  assert.match(lineText(model.filterBar(W)), /find: needle {2}2 matches /, 'off the matches: how many there are');
  // Esc in the find editor restores the search in force.
  press(model, 'F');
  press(model, 'C-u');
  type(model, 'hello');
  press(model, 'escape');
  assert.equal(model.messages.searchSource, 'needle');
});

test("'f' toggles follow, 'space' pauses, 't' switches the time, 'c' clears", () => {
  const { model, store, lastTs } = session();
  assert.equal(model.messages.follow, true);
  press(model, 'f');
  assert.equal(model.messages.follow, false);
  assert.doesNotMatch(lineText(model.statusBar(W, lastTs)), /FOLLOW/);
  press(model, 'f');
  assert.equal(model.messages.follow, true);

  press(model, 'space');
  assert.equal(model.messages.paused, true);
  assert.match(lineText(model.statusBar(W, lastTs)), /PAUSED {2}FOLLOW {2}\? help $/);
  for (const r of message({ conn: 2, from: 'server', text: 'while paused' }, lastTs + 10)) store.add(r);
  assert.equal(model.messages.length, 10);
  assert.match(lineText(model.filterBar(W)), /10 of 11$/);
  press(model, 'space');
  assert.equal(model.messages.paused, false);
  assert.equal(model.messages.length, 11);
  assert.match(rowTexts(model).at(-1)!.trimEnd(), /← text +12 B +while paused$/);

  assert.equal(model.timeMode, 'absolute');
  press(model, 't');
  assert.equal(model.timeMode, 'relative');
  const relative = model.messageLines(20, W);
  assert.match(lineText(relative[0]!), /^ since open/);
  // Connection 1 started at its connect record (T0 + 1); its first message came at T0 + 20.
  assert.match(lineText(relative[1]!), /^ \+19ms +#1 +→ text/);
  press(model, 't');
  assert.equal(model.timeMode, 'absolute');

  press(model, 'c');
  assert.equal(model.messages.length, 0);
  assert.deepEqual(model.messageLines(5, W).slice(1).map(lineText), [' waiting for WebSocket messages…']);
  assert.match(lineText(model.filterBar(W)), /0 of 0$/);
  for (const r of message({ conn: 2, from: 'server', text: 'after clear' }, lastTs + 20)) store.add(r);
  assert.equal(model.messages.length, 1);
  press(model, '/');
  type(model, 'client');
  assert.deepEqual(model.messageLines(5, W).slice(1).map(lineText), [' no message matches the view (/ to change the filter, Esc for all connections)']);
});

/** The help overlay's inner size in an 80×24 terminal (90% of it, less the border). */
const HELP = { height: 19, width: 70 };

/** Every line of the help at `width` (a window tall enough for all of it), without the footer. */
function wholeHelp(model: AppModel, width: number): string[] {
  return model.helpLines(1000, width).map(lineText).slice(0, -1).join('\n').trimEnd().split('\n');
}

const squeeze = (s: string) => s.replace(/\s+/g, ' ').trim();

test("'?' shows the help; q, Esc and ? close it; other keys do nothing; C-c still quits", () => {
  const { model } = session();
  assert.equal(press(model, '?'), 'none');
  assert.equal(model.showHelp, true);
  assert.equal(lineText(model.helpLines(HELP.height, HELP.width)[0]!), 'Keys');
  const all = wholeHelp(model, HELP.width);
  assert.ok(all.includes('Filter and find expressions'));
  assert.ok(all.some((l) => /^q {2}Ctrl-C +quit/.test(l)));
  for (const key of ['c', 'x', 'enter', 'tab', 'f', 't', 's', 'space', '/']) {
    assert.equal(press(model, key), 'none', key);
    assert.equal(model.showHelp, true, `${key} leaves the help open`);
  }
  assert.equal(model.messages.length, 10, "'c' in the help didn't clear");
  assert.equal(model.input, null, "'/' in the help didn't open the filter");
  assert.equal(model.focus, 'messages');
  model.messages.setConnection(2);
  for (const key of ['q', 'escape', '?']) {
    if (!model.showHelp) press(model, '?');
    assert.equal(press(model, key), 'none', `${key} closes the help instead of doing what it does elsewhere`);
    assert.equal(model.showHelp, false, key);
  }
  assert.equal(model.messages.connection, 2, 'Esc closing the help kept the connection filter');
  press(model, '?');
  assert.equal(press(model, 'C-c'), 'quit');
});

test('the help scrolls: ↑ ↓ j k a line, PgUp PgDn a page, g G Home End to either end; its footer says where and how', () => {
  const { model } = session();
  press(model, '?');
  const all = wholeHelp(model, HELP.width);
  const rows = HELP.height - 1;
  assert.ok(all.length > rows, `the help (${all.length} lines) is longer than the overlay at 80×24`);
  const view = () => model.helpLines(HELP.height, HELP.width).map(lineText);
  const top = () => { view(); return model.helpTop; };
  let lines = view();
  assert.equal(lines.length, HELP.height);
  assert.deepEqual(lines.slice(0, -1), all.slice(0, rows));
  assert.equal(lines.at(-1)!.trimEnd(), `1–${rows} of ${all.length} · ↑ ↓ PgUp PgDn j k g G scroll · q Esc ? close`);
  press(model, 'up');
  assert.equal(top(), 0, 'not above the first line');
  press(model, 'j');
  press(model, 'down');
  assert.equal(top(), 2);
  press(model, 'k');
  assert.equal(top(), 1);
  press(model, 'pagedown');
  assert.equal(top(), 1 + rows - 1, 'a page keeps one line of the last');
  press(model, 'pageup');
  assert.equal(top(), 1);
  const last = all.length - rows;
  for (const key of ['G', 'end']) {
    press(model, 'g');
    press(model, key);
    lines = view();
    assert.equal(model.helpTop, last, key);
    assert.deepEqual(lines.slice(0, -1), all.slice(last), 'the last line can be reached');
    assert.match(lines.at(-1)!, new RegExp(`^${last + 1}–${all.length} of ${all.length} `));
  }
  press(model, 'pagedown');
  press(model, 'down');
  assert.equal(top(), last, 'not below the last line');
  press(model, 'home');
  assert.equal(top(), 0);
  model.scrollHelp(3);
  assert.equal(top(), 3, 'the wheel scrolls it');
  press(model, 'q');
  press(model, '?');
  assert.equal(top(), 0, 'the help opens at its top');
  // Taller than the help: it all shows, the footer at the bottom.
  lines = model.helpLines(all.length + 5, HELP.width).map(lineText);
  assert.deepEqual(lines.slice(0, all.length), all);
  assert.match(lines.at(-1)!, new RegExp(`^1–${all.length} of ${all.length} `));
  assert.deepEqual(model.helpLines(0, HELP.width), []);
});

test('the help wraps to the overlay: no line wider, every row in full, descriptions aligned under their column', () => {
  const { model } = session();
  press(model, '?');
  for (const width of [HELP.width, 142, 40]) {
    for (let height = 1; height <= 3; height++) {
      for (const l of model.helpLines(height, width)) assert.ok(lineText(l).length <= width, `${width}×${height}: ${lineText(l)}`);
    }
    const all = wholeHelp(model, width);
    for (const l of all) assert.ok(l.length <= width, `${width}: ${l}`);
    const text = squeeze(all.join('\n'));
    for (const [k, action] of [...KEYS, ...FILTER_HELP]) assert.ok(text.includes(squeeze(`${k} ${action}`)), `${width}: ${k} ${action}`);
  }
  const all = wholeHelp(model, HELP.width);
  for (const [section, table] of [['Keys', KEYS], ['Filter and find expressions', FILTER_HELP]] as const) {
    const start = all.indexOf(section) + 1;
    const rows = all.slice(start, all.indexOf('', start));
    assert.ok(rows.length > table.length, `${section}: some rows wrap at 80 columns`);
    const keys = new Set(table.map(([k]) => k));
    const [key, text] = table[0]!;
    const column = rows[0]!.indexOf(text.split(' ')[0]!, key.length);
    for (const l of rows) {
      // Each line has the text at the column, after its key or under the key's; a key too long for the column has a line of its own.
      if (keys.has(l)) continue;
      const before = l.slice(0, column).trim();
      assert.ok((before === '' || keys.has(before)) && l.slice(column - 2, column) === '  ' && /^\S/.test(l.slice(column)), `${section}, column ${column}: ${l}`);
    }
  }
});

test("'q' and C-c quit; 's' on an empty view says there is nothing to save", () => {
  const { model } = session();
  assert.equal(press(model, 'q'), 'quit');
  assert.equal(press(model, 'C-c'), 'quit');
  press(model, '/');
  type(model, 'nothing like this');
  press(model, 'enter');
  assert.equal(model.messages.length, 0);
  assert.equal(press(model, 's'), 'none');
  assert.equal(model.input, null);
  assert.equal(model.notice, 'nothing to save: the view is empty');
  assert.match(lineText(model.filterBar(W)), /nothing to save: the view is empty +0 of 10$/);
});

test('Enter on a connection shows only its messages; Esc shows all again', () => {
  const { model, lastTs } = session();
  press(model, 'S-tab');
  assert.equal(model.focus, 'connections');
  assert.match(lineText(model.detailLines(5, 100)[0]!), /^All connections/);
  press(model, 'down');
  press(model, 'down');
  assert.equal(model.connections.selectedConn(), 2);
  // The detail pane shows the selected connection's handshake.
  const detail = model.detailLines(40, 100).map(lineText);
  assert.equal(detail[0], '#2 ws://127.0.0.1:3000/feed  from 127.0.0.1:50002');
  assert.ok(detail.includes('GET /feed HTTP/1.1'));
  assert.ok(detail.includes('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='));
  assert.ok(detail.includes('HTTP/1.1 101 Switching Protocols'));
  assert.ok(detail.includes('Sec-WebSocket-Accept: valid'));
  press(model, 'enter');
  assert.equal(model.messages.connection, 2);
  assert.equal(model.focus, 'messages', 'Enter on a connection focuses its messages');
  assert.equal(model.messages.length, 2);
  assert.equal(model.notice, "showing only #2's messages; Esc for all", 'Enter says what it did');
  assert.match(lineText(model.filterBar(W)), /conn #2 \(Esc for all\) {2}showing only #2's messages; Esc for all +2 of 10$/);
  press(model, 'down');
  assert.equal(model.notice, null);
  assert.match(lineText(model.filterBar(W)), /conn #2 \(Esc for all\) +2 of 10$/);
  assert.match(draw(model, lastTs).connections[2]!, /^▷#2 /, 'the cursor stays on the connection (the focus moved to the messages)');
  press(model, 'escape');
  assert.equal(model.messages.connection, null);
  assert.equal(model.connections.cursor, 0);
  assert.equal(model.messages.length, 10);
});

test('moving in each pane: messages, connections, detail', () => {
  const { model } = session();
  model.messageLines(5, W); // 4 rows: following, the cursor is on the last row
  assert.equal(model.messages.cursor, 9);
  press(model, 'up');
  assert.equal(model.messages.cursor, 8);
  assert.equal(model.messages.follow, false);
  press(model, 'pageup');
  assert.equal(model.messages.cursor, 5, 'a page is the rows drawn less one');
  press(model, 'k');
  press(model, 'j');
  press(model, 'j');
  assert.equal(model.messages.cursor, 6);
  press(model, 'home');
  assert.equal(model.messages.cursor, 0);
  press(model, 'G');
  assert.equal(model.messages.cursor, 9);
  assert.equal(model.messages.follow, true, 'G turns follow on');
  press(model, 'g');
  press(model, 'end');
  assert.equal(model.messages.follow, true, 'so does End');

  // The detail pane scrolls.
  press(model, 'g');
  press(model, 'down'); // row 2: pretty JSON, a long detail
  press(model, 'tab');
  assert.equal(model.focus, 'detail');
  const before = model.detailLines(3, 100).map(lineText);
  press(model, 'down');
  const after = model.detailLines(3, 100).map(lineText);
  assert.deepEqual(after.slice(0, 2), before.slice(1));
  assert.equal(model.detailTop, 1);

  press(model, 'tab');
  press(model, 'end');
  assert.equal(model.connections.cursor, 2);
  press(model, 'down');
  assert.equal(model.connections.cursor, 2);
  press(model, 'g');
  assert.equal(model.connections.cursor, 0);
});

test('the detail pane shows the selected message', () => {
  const { model } = session();
  press(model, 'g');
  press(model, 'down');
  let d = model.detailLines(40, 100).map(lineText);
  assert.match(d[0]!, /^#1 client ← server {2}text {2}\d\d:\d\d:\d\d\.030 {2}\(\+29ms since open\)$/);
  assert.equal(d[1], '38 B · 1 frame');
  assert.deepEqual(d.slice(3, 11), ['Payload', 'JSON', '{', '  "type": "tick",', '  "seq": 1,', '  "price": 100.25', '}', '']);
  assert.equal(d[11], 'Frames');
  assert.equal(d[12], '1. FIN=1 RSV=000 opcode=1 (text) MASK=0 length=38');
  press(model, 'j');
  d = model.detailLines(40, 100).map(lineText);
  assert.ok(d.includes('0000  00 01 02 03 fe ff 41 42                           |......AB|'));
  assert.ok(d.includes('1. FIN=1 RSV=000 opcode=2 (binary) MASK=1 key=11 22 33 44 length=8'));
  assert.ok(d.includes('   masked:   11 23 31 47 ef dd 72 06'));
  assert.ok(d.includes('   payload:  00 01 02 03 fe ff 41 42'));
  press(model, 'G');
  model.messageLines(20, W);
  d = model.detailLines(40, 100).map(lineText);
  assert.ok(d.includes('Violations'));
  assert.ok(d.includes('! invalid-close-code (RFC 6455 7.4, client): close code 999'));
  // Text wraps at word boundaries.
  press(model, 'g');
  press(model, 'down');
  press(model, 'down');
  press(model, 'down');
  assert.equal(messageOf(model.messages.selected()).text, 'a needle in the haystack');
  const words = model.detailLines(40, 10).map(lineText);
  const at = words.indexOf('a needle');
  assert.deepEqual(words.slice(at, at + 3), ['a needle', 'in the', 'haystack'], words.join('|'));
  press(model, 'G');
  // Narrow panes wrap the lines.
  const narrow = model.detailLines(40, 10).map(lineText);
  assert.ok(narrow.every((l) => l.length <= 10));
  assert.equal(narrow.join('').replace(/\s/g, ''), model.detailLines(80, 1000).map(lineText).join('').replace(/\s/g, ''));
});

test('viewRecords: a whole session log, the session and each connection\'s framing records among its rows, in the order they came; it reopens as it was', () => {
  const { model, records } = session();
  const out = model.viewRecords();
  // Everything the session had, but the violation after the frame of the message it concerns.
  const i = records.findIndex((r) => r.type === 'violation');
  const expected = [...records.slice(0, i), records[i + 1]!, records[i]!, ...records.slice(i + 2)];
  assert.deepEqual(out, expected);
  for (const r of out) {
    const parsed = parseLogLine(JSON.stringify(r));
    assert.equal(parsed.kind, 'record');
    if (parsed.kind === 'record') assert.deepEqual(parsed.record, r);
  }

  // The filtered view saves only what it shows, framed: what --json --filter writes.
  press(model, '/');
  type(model, 'needle');
  press(model, 'enter');
  const filtered = model.viewRecords();
  assert.deepEqual(filtered.map((r) => (r.type === 'session' ? 'session' : `${r.type}#${r.conn}`)), [
    'session', 'connect#1', 'handshake#1', 'connect#2', 'handshake#2', 'frame#1', 'message#1', 'end#1', 'frame#2', 'message#2',
  ]);
  assert.deepEqual(filtered.filter((r): r is MessageRecord => r.type === 'message').map((r) => r.text), ['a needle in the haystack', 'feed needle 1']);

  // Reopened, the saved view shows its connections as they were: client known, #1 closed, #2 still open at the end.
  const reopened = new AppModel({ mode: 'open', listen: null, target: null, file: 'view.jsonl' }, 1000, null);
  const store = new SessionStore();
  store.subscribe((x) => reopened.add(x));
  const reader = new SessionLogReader();
  for (const r of filtered) {
    const parsed = reader.read(JSON.stringify(r));
    assert.equal(parsed.kind, 'record');
    if (parsed.kind === 'record') store.add(parsed.record);
  }
  assert.deepEqual(reopened.connections.rows.map((c) => [c.conn, c.client, c.state]), [[1, '127.0.0.1:50001', 'closed 1000'], [2, '127.0.0.1:50002', 'open']]);
  assert.equal(reopened.messages.length, 2);
});

test('a click selects the clicked message row', () => {
  const { model } = session();
  const lines = model.messageLines(6, W); // header + 5 rows: rows 5..9 (following)
  assert.equal(model.messages.top, 5);
  model.click('messages', 2);
  assert.equal(model.focus, 'messages');
  assert.equal(model.messages.cursor, 7);
  assert.equal(model.messages.follow, false);
  const clicked = lineText(lines[3]!);
  assert.equal(model.messages.selected()!.seq, 8);
  assert.match(clicked, /← close 1000 +5 B +Normal Closure "bye" *$/);
  model.click('messages', 99); // below the last row: nothing
  assert.equal(model.messages.cursor, 7);
  model.click('detail', 0);
  assert.equal(model.focus, 'detail');
});

test('a click on a connection selects the connection drawn there, also when the list is scrolled', () => {
  const model = new AppModel({ mode: 'reverse', listen: '127.0.0.1:9000', target: 'ws://x', file: null }, 100);
  const store = new SessionStore();
  store.subscribe((s) => model.add(s));
  for (let c = 1; c <= 12; c++) {
    store.add(connect(c, T0 + c));
    store.add(handshake(c, T0 + c, `/c${c}`));
    for (const r of message({ conn: c, from: 'server', text: `on ${c}` }, T0 + 100 + c)) store.add(r);
  }
  // Following: "all connections", then the newest ones.
  let drawn = model.connectionLines(4, W, T0 + 1000).map(lineText); // the screen draws before each click
  assert.deepEqual(drawn.map((l) => /^.(#\d+|all)/.exec(l)![1]), ['all', '#10', '#11', '#12']);
  model.click('connections', 1);
  assert.equal(model.connections.selectedConn(), 10, 'line 1 is connection #10');
  assert.equal(model.messages.connection, 10);
  for (let i = 0; i < 7; i++) model.key(undefined, 'up');
  drawn = model.connectionLines(4, W, T0 + 1000).map(lineText);
  assert.ok(!drawn[0]!.includes('all connections'), `the list is scrolled: ${drawn[0]}`);
  for (const index of [0, 1, 3]) {
    const lines = model.connectionLines(4, W, T0 + 1000).map(lineText); // the screen draws before each click
    const conn = Number(/^.#(\d+)/.exec(lines[index]!)![1]);
    model.click('connections', index);
    assert.equal(model.connections.selectedConn(), conn, `clicked line ${index}: ${lines[index]}`);
    assert.equal(model.messages.connection, conn);
    assert.deepEqual([...model.messages.rows()].map((r) => messageOf(r).text), [`on ${conn}`]);
  }
});

// ---------------------------------------------------------------------------------------------
// Terminal safety

const EVIL = 'A\x1b[2J\x1b]0;title\x07B\x07\x9b31m\x7f\u202eevil\u200b\u200d\u2066x\u2069\ufeff{red-fg}x{/red-fg}\r\n\tZ\u2028';

function assertSafe(lines: Line[], where: string): void {
  for (const line of lines) {
    for (const s of line) assert.doesNotMatch(s.text, UNSAFE, `${where}: ${JSON.stringify(s.text)}`);
  }
}

test('terminal safety: hostile payloads, headers, URLs, reasons and typed text come out inert in every pane', () => {
  const model = new AppModel({ mode: 'reverse', listen: '127.0.0.1:9000', target: `ws://evil${EVIL}`, file: `log${EVIL}.jsonl` }, 100);
  const store = new SessionStore();
  store.subscribe((s) => model.add(s));
  store.add(connect(1, T0));
  store.add(violation(1, T0 + 1, 'server', `bad header ${EVIL}`));
  store.add({
    ...handshake(1, T0 + 1, `/chat${EVIL}`, { protocol: `proto${EVIL}`, extensions: [{ name: `ext${EVIL}`, params: { [`k${EVIL}`]: `v${EVIL}`, flag: true } }] }),
    request: { method: `GET${EVIL}`, target: `/chat${EVIL}`, version: 'HTTP/1.1', headers: [[`X-Evil${EVIL}`, `value${EVIL}`], ['Cookie', EVIL]] },
    response: { version: 'HTTP/1.1', status: 101, reason: `Switching${EVIL}`, headers: [['Server', EVIL]] },
  });
  const messages: Msg[] = [
    { conn: 1, from: 'server', text: `{red-fg}x{/red-fg}${EVIL}` },
    { conn: 1, from: 'server', text: JSON.stringify({ [EVIL]: EVIL, list: [EVIL] }) },
    { conn: 1, from: 'client', kind: 'binary', bytes: Buffer.from(EVIL) },
    { conn: 1, from: 'client', kind: 'close', close: { code: 4000, reason: EVIL } },
  ];
  let ts = T0 + 10;
  for (const m of messages) {
    store.add(violation(1, ts, m.from, `detail ${EVIL}`));
    for (const r of message(m, ts)) store.add(r);
    ts += 10;
  }
  // A filter typed with hostile characters, with an error that quotes them.
  press(model, '/');
  type(model, 'kind:\u202e\x9b');
  assert.ok(model.inputError, 'the typed filter is invalid');
  assertSafe([model.filterBar(W)], 'filter editor');
  press(model, 'escape');
  press(model, 'F');
  type(model, '\u202e\x9b');
  press(model, 'enter');
  press(model, 'g');
  press(model, 'n');
  assert.ok(model.notice, 'a notice that quotes the search');
  assertSafe([model.filterBar(W)], 'find notice');
  model.notice = `cannot read${EVIL}`; // e.g. a damaged line of a log file, quoted in the error
  assertSafe([model.filterBar(W)], 'notice');

  for (let i = 0; i < messages.length; i++) {
    model.messages.select(i);
    const d = draw(model, ts);
    assertSafe(d.all, `message ${i}`);
    // The markup the peer sent shows literally (the screen escapes it).
    if (i === 0) {
      assert.ok(d.messages.some((l) => l.includes('{red-fg}x{/red-fg}')));
      assert.ok(d.detail.some((l) => l.includes('{red-fg}x{/red-fg}')));
      assert.ok(d.detail.some((l) => l.includes('A\\x1b[2J\\x1b]0;title\\x07B\\x07\\x9b31m\\x7f\\u{202e}evil')));
    }
  }
  press(model, 'S-tab');
  press(model, 'down');
  const d = draw(model, ts);
  assert.ok(d.detail.some((l) => l.includes('X-Evil')), 'the handshake is shown');
  assertSafe(d.all, 'handshake');
  assertSafe(model.helpLines(200, 100), 'help');
});

test('an error of wspeek\'s own reaches the message list, the connection\'s detail and the `error` filter, not the rates', () => {
  const { model, store, lastTs } = session();
  const before = lineText(model.statusBar(W, lastTs + 1));
  store.add({ type: 'error', conn: 2, ts: lastTs + 0.5, where: 'decoder', detail: 'decoding stopped: boom' });
  const d = draw(model, lastTs + 1);
  assert.match(d.messages.at(-1)!, /! error +decoder: decoding stopped: boom/);
  assert.match(d.filter, / 11 of 11$/);
  assert.equal(lineText(model.statusBar(W, lastTs + 1)), before, 'the rates count messages only');
  press(model, '/');
  type(model, 'error');
  press(model, 'enter');
  assert.deepEqual(rowTexts(model).map((t) => /! error/.test(t)), [true]);
  press(model, 'S-tab');
  assert.equal(model.focus, 'connections');
  press(model, 'down');
  press(model, 'down');
  assert.match(draw(model, lastTs + 1).detail.join('\n'), /^#2 .*\n.*\nclient → server .*\nclient ← server .*\nwspeek decoder error: decoding stopped: boom/, 'the connection\'s detail lists it');
});

// ---------------------------------------------------------------------------------------------
// Layout: every pane at the sizes people use, with the content that used to overflow

const MiB5 = 5 * 1024 * 1024;
const LONG_CHAT = 'ws://very-long-host.example.com:3000/api/v2/chat';
const LONG_GRAPHQL = 'wss://another-really-long-hostname.internal.example.org:8443/graphql/subscriptions';

/** A live reverse capture with long URLs, subprotocols, extensions and 5 MiB messages. */
function wideSession(info: Partial<AppModel['info']> = {}): Session {
  const model = new AppModel({ mode: 'reverse', listen: '127.0.0.1:8080', target: LONG_CHAT, file: '/home/someone/captures/2024-01-15-live.jsonl', ...info }, 1000);
  const store = new SessionStore();
  store.subscribe((s) => model.add(s));
  const records: LogRecord[] = [];
  const add = (r: LogRecord) => {
    records.push(r);
    store.add(r);
  };
  const deflate = [{ name: 'permessage-deflate', params: {} }];
  add(connect(1, T0 + 1, '192.168.100.200:54321'));
  add({ ...handshake(1, T0 + 2, '/api/v2/chat', { protocol: 'json.v1', extensions: deflate }), url: LONG_CHAT });
  add(connect(2, T0 + 3, '[2001:db8::1234]:61000'));
  add({ ...handshake(2, T0 + 4, '/graphql/subscriptions', { protocol: 'graphql-transport-ws', extensions: deflate }), url: LONG_GRAPHQL });
  let ts = T0 + 10;
  for (let i = 0; i < 40; i++) {
    ts += 7;
    const conn = 1 + (i % 2);
    const [f, m] = message({ conn, from: i % 3 ? 'server' : 'client', text: `{"id":${i},"payload":"${'x'.repeat(i)}"}` }, ts);
    // A large message, kept in part (as --max-payload keeps it): its lengths are the real ones.
    if (i % 4 === 0) Object.assign(m, { length: MiB5, wireLength: MiB5 - 4096 * i, compressed: true, truncated: true });
    add(f);
    add(m);
  }
  return { model, store, records, lastTs: ts };
}

const SIZES = [[80, 24], [120, 30], [250, 60]] as const;

/** Every pane drawn as the screen draws it at `cols` × `rows`, with each pane's inner width. */
function drawAt(model: AppModel, cols: number, rows: number, now: number): Array<{ pane: string; width: number; lines: Line[] }> {
  const at = screenLayout(cols, rows);
  const inner = (p: 'connections' | 'messages' | 'detail') => ({ w: at[p].width - 2, h: at[p].height - 2 });
  const c = inner('connections');
  const m = inner('messages');
  const d = inner('detail');
  return [
    { pane: 'connections', width: c.w, lines: model.connectionLines(c.h, c.w, now) },
    { pane: 'messages', width: m.w, lines: model.messageLines(m.h, m.w) },
    { pane: 'detail', width: d.w, lines: model.detailLines(d.h, d.w) },
    { pane: 'filter bar', width: cols, lines: [model.filterBar(cols)] },
    { pane: 'status bar', width: cols, lines: [model.statusBar(cols, now)] },
  ];
}

test('every pane at 80×24, 120×30 and 250×60: no line wider than its pane, with long URLs, subprotocols and 5 MiB lengths', () => {
  for (const [cols, rows] of SIZES) {
    const { model, lastTs } = wideSession();
    for (const focus of ['messages', 'connections', 'detail'] as const) {
      model.focus = focus;
      if (focus === 'connections') model.connections.select(1);
      for (const { pane, width, lines } of drawAt(model, cols, rows, lastTs + 1)) {
        for (const line of lines) assert.ok(lineText(line).length <= width, `${cols}×${rows} ${pane} (focus ${focus}), ${lineText(line).length} > ${width}: ${lineText(line)}`);
        if (pane !== 'connections' && pane !== 'messages') continue;
        // Fields are segments of their own (after the cursor's gutter), and a blank separates any two.
        for (const line of lines) {
          for (let k = 2; k < line.length; k++) {
            assert.ok(/\s$/.test(line[k - 1]!.text) || /^\s/.test(line[k]!.text) || line[k]!.text === '', `${cols}×${rows} ${pane}: "${line[k - 1]!.text}" runs into "${line[k]!.text}" in ${lineText(line)}`);
          }
        }
      }
    }
  }
});

test('the messages pane at each size: lengths in MiB, the #conn column, every field whole or cut by rule', () => {
  for (const [cols, rows] of SIZES) {
    const { model } = wideSession();
    const at = screenLayout(cols, rows);
    const lines = model.messageLines(at.messages.height - 2, at.messages.width - 2).map(lineText);
    const rowsDrawn = lines.slice(1);
    assert.ok(rowsDrawn.length > 0);
    for (const l of rowsDrawn) {
      assert.match(l, /^[ ▶]\d\d:\d\d:\d\d\.\d{3} +(\+\S+ +)?#[12] +[→←] text +(5\.0 MiB|\d+ B) /, `${cols}: ${l}`);
      assert.doesNotMatch(l, /5242880|\d…z|MB\b/, `${cols}: no raw or cut lengths: ${l}`);
    }
    const big = rowsDrawn.filter((l) => l.includes('5.0 MiB'));
    assert.ok(big.length > 0, `${cols}: the 5 MiB rows`);
    for (const l of big) assert.match(l, /5\.0 MiB (\d\.\d MiB )?z +… /, `${cols}: the wire length when there is room, and the flags: ${l}`);
  }
});

test('the connections pane at each size: a cut URL keeps its path, subprotocols whole or cut with …, counts whole', () => {
  for (const [cols, rows] of SIZES) {
    const { model, lastTs } = wideSession();
    const at = screenLayout(cols, rows);
    const lines = model.connectionLines(at.connections.height - 2, at.connections.width - 2, lastTs + 1).map(lineText);
    const chat = lines.find((l) => l.includes('#1 '))!;
    const graphql = lines.find((l) => l.includes('#2 '))!;
    assert.ok(chat.includes('/api/v2/chat'), `${cols}: the path stays: ${chat}`);
    assert.ok(graphql.includes('/graphql/subscriptions'), `${cols}: ${graphql}`);
    if (cols >= 120) assert.ok(chat.includes(LONG_CHAT), `${cols}: the whole URL when there is room: ${chat}`);
    else assert.match(chat, /^ #1 …\S*:3000\/api\/v2\/chat /, `${cols}: cut at the host: ${chat}`);
    assert.match(chat, / json\.v1 deflate /, `${cols}: ${chat}`);
    assert.match(graphql, / graphql-transport-ws deflate /, `${cols}: ${graphql}`);
    for (const l of [chat, graphql]) {
      assert.match(l, / open +→ +\d+ (\(\d+(\.\d)? (B|KiB|MiB)\) +)?← +\d+( |$)/, `${cols}: the state and the counts, whole: ${l}`);
      if (cols >= 120) assert.match(l, /→ +\d+ \(\d+(\.\d)? (B|KiB|MiB)\) +← +\d+ \(\d+(\.\d)? (B|KiB|MiB)\)/, `${cols}: and the bytes: ${l}`);
    }
    if (cols >= 250) assert.ok(chat.includes('192.168.100.200:54321') && graphql.includes('[2001:db8::1234]:61000'), 'the client when there is room');
  }
});

test('the status bar at each size: items whole or cut by rule, never run together; "? help" always whole at the end', () => {
  for (const [cols] of SIZES) {
    const { model, lastTs } = wideSession();
    model.messages.togglePause();
    const s = lineText(model.statusBar(cols, lastTs + 1));
    assert.equal(s.length, cols);
    assert.ok(s.endsWith('  ? help '), `${cols}: ${s}`);
    assert.match(s, /^ wspeek /);
    // The items, split where they are separated: each is one of what the bar says, whole or cut by its rule.
    const items = s.slice(' wspeek '.length, -' ? help '.length).trim().split(/ │ | {2,}/);
    const known = [
      /^reverse 127\.0\.0\.1:8080$/, /^→ (ws:\/\/very-long-host\.example\.com:3000\/api\/v2\/chat|…\S*\/api\/v2\/chat)$/, /^conns 2\/2$/,
      /^→ \d+ msg\/s( \d+(\.\d)? (B|KiB|MiB)\/s)?$/, /^← \d+ msg\/s( \d+(\.\d)? (B|KiB|MiB)\/s)?$/, /^(\/home\/someone\/captures\/|…\S*)2024-01-15-live\.jsonl$/, /^PAUSED$/, /^FOLLOW$/,
    ];
    for (const item of items) assert.ok(known.some((k) => k.test(item)), `${cols}: "${item}" in ${s}`);
    assert.ok(items.includes('conns 2/2') && items.includes('PAUSED') && items.some((i) => i.startsWith('→ ')), `${cols}: the most important items stay: ${s}`);
    if (cols >= 250) assert.equal(items.length, known.length, `all of them at ${cols}: ${s}`);
  }
});

test('sizes are labelled KiB and MiB, 1024-based, in the status bar and the connections pane', () => {
  const { model, lastTs } = wideSession();
  const status = lineText(model.statusBar(250, lastTs + 1));
  assert.match(status, /→ \d+ msg\/s \d+\.\d MiB\/s/);
  assert.doesNotMatch(status, /\bMB\b|\bKB\b/);
  const lines = model.connectionLines(5, 200, lastTs + 1).map(lineText);
  assert.match(lines[1]!, /→ +\d+ \(\d+\.\d MiB\)/);
});

test('the connections pane follows the newest connection; moving the cursor into the list stops it, g or G start it again', () => {
  const model = new AppModel({ mode: 'reverse', listen: '127.0.0.1:9000', target: 'ws://x', file: null }, 100);
  const store = new SessionStore();
  store.subscribe((s) => model.add(s));
  const open = (c: number) => {
    store.add(connect(c, T0 + c));
    store.add(handshake(c, T0 + c, `/c${c}`));
  };
  const ids = () => model.connectionLines(4, W, T0 + 1000).map((l) => /^[ ▶▷]?(#\d+|all)/.exec(lineText(l))![1]);
  for (let c = 1; c <= 3; c++) open(c);
  assert.deepEqual(ids(), ['all', '#1', '#2', '#3']);
  open(4);
  open(5);
  assert.deepEqual(ids(), ['all', '#3', '#4', '#5'], 'new connections come into view under "all connections"');
  assert.match(lineText(model.connectionLines(4, W, T0 + 1000)[0]!), /all connections \(5, 5 open\)/);
  // The user moves the cursor into the list: the pane stays where the cursor is.
  press(model, 'S-tab');
  press(model, 'down');
  assert.equal(model.connections.selectedConn(), 1);
  open(6);
  assert.deepEqual(ids(), ['all', '#1', '#2', '#3']);
  assert.equal(model.connections.selectedConn(), 1, 'the cursor stays on its connection');
  // G: the newest, followed from there on.
  press(model, 'G');
  assert.equal(model.connections.selectedConn(), 6);
  open(7);
  assert.equal(model.connections.selectedConn(), 7, 'the cursor moves on to the newest');
  assert.deepEqual(ids().slice(-1), ['#7']);
  // Enter shows only that connection's messages and stays on it.
  press(model, 'enter');
  open(8);
  assert.equal(model.connections.selectedConn(), 7);
  press(model, 'escape');
  assert.equal(model.connections.cursor, 0);
  open(9);
  assert.deepEqual(ids(), ['all', '#7', '#8', '#9'], 'Esc: all connections, following again');
});

test('the #conn column shows which connection a row belongs to; hidden when the list shows one connection', () => {
  const { model } = session();
  const rows = rowTexts(model);
  assert.match(model.messageLines(5, W).map(lineText)[0]!, / conn /);
  assert.deepEqual(rows.map((r) => /#(\d+) /.exec(r)![1]), ['1', '1', '1', '1', '1', '1', '1', '1', '2', '2']);
  const styles = model.messageLines(40, W).slice(1).map((l) => l.find((s) => /^#\d+ *$/.test(s.text))!.style);
  assert.equal(styles[0], connStyle(1));
  assert.equal(styles[8], connStyle(2));
  assert.notEqual(connStyle(1), connStyle(2), 'rows of different connections are told apart by colour');
  press(model, 'S-tab');
  press(model, 'G');
  press(model, 'enter');
  assert.equal(model.messages.connection, 2);
  const narrowed = model.messageLines(5, W).map(lineText);
  assert.doesNotMatch(narrowed.join('\n'), / conn |#2 /);
});

test('until the first message, a reverse capture tells where to point the client', () => {
  const info = { mode: 'reverse', listen: '127.0.0.1:8080', target: 'ws://localhost:3000/', file: null };
  const model = new AppModel({ ...info }, 100);
  assert.deepEqual(model.messageLines(5, W).slice(1).map(lineText), [' waiting for WebSocket messages…', ` ${pointClientAt('127.0.0.1:8080', 'ws://localhost:3000/')}`]);
  // Narrow: the hint wraps at words, whole.
  const narrow = model.messageLines(8, 40).slice(1).map(lineText);
  assert.ok(narrow.every((l) => l.length <= 40));
  assert.equal(narrow.slice(1).map((l) => l.trim()).join(' '), pointClientAt('127.0.0.1:8080', 'ws://localhost:3000/'));
  const store = new SessionStore();
  store.subscribe((s) => model.add(s));
  store.add(connect(1, T0));
  store.add(handshake(1, T0, '/'));
  for (const r of message({ conn: 1, from: 'client', text: 'hi' }, T0 + 1)) store.add(r);
  press(model, 'c');
  assert.deepEqual(model.messageLines(5, W).slice(1).map(lineText), [' waiting for WebSocket messages…'], 'after the first message, no more hint');
  const forward = new AppModel({ mode: 'forward', listen: '127.0.0.1:8080', target: null, file: null }, 100);
  assert.deepEqual(forward.messageLines(5, W).slice(1).map(lineText), [' waiting for WebSocket messages…']);
});

test('a saved session looks like one: its date, no rates, no FOLLOW; "no messages match" when it has none', () => {
  const model = new AppModel({ mode: 'open', listen: null, target: null, file: 'capture.jsonl' }, 100);
  const store = new SessionStore();
  store.subscribe((s) => model.add(s));
  store.add({ type: 'session', version: 1, tool: 'wspeek', ts: T0, mode: 'demo', listen: '127.0.0.1:9000', target: 'http://127.0.0.1:3000' });
  assert.equal(model.info.mode, 'open', 'still a saved session');
  assert.deepEqual(model.messageLines(5, W).slice(1).map(lineText), [' no messages match: capture.jsonl holds no WebSocket messages']);
  store.add(connect(1, T0 + 1));
  store.add(handshake(1, T0 + 2, '/chat'));
  for (const r of message({ conn: 1, from: 'client', text: 'hi' }, T0 + 3)) store.add(r);
  const s = lineText(model.statusBar(W, T0 + 10));
  assert.match(s, new RegExp(`^ wspeek open capture\\.jsonl │ captured ${dateTime(T0)} │ demo 127\\.0\\.0\\.1:9000 → http://127\\.0\\.0\\.1:3000 │ 1 connection, 1 message +\\? help $`));
  assert.doesNotMatch(s, /msg\/s|FOLLOW/);
  assert.match(lineText(model.statusBar(80, T0 + 10)), /^ wspeek open capture\.jsonl │ captured \d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\? help $/, 'the date stays at 80 columns');
  model.info.file = '/home/someone/captures/2024-01-15-a-long-name.jsonl';
  assert.match(lineText(model.statusBar(80, T0 + 10)), /^ wspeek open …\S*long-name\.jsonl │ captured \d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\? help $/, 'a long file name is cut at its start');
});

test('a packet capture being read: the status bar shows the reading\'s progress until it is done, at 80 columns too', () => {
  const model = new AppModel({ mode: 'open', listen: null, target: null, file: 'big.pcap' }, 100);
  model.info.reading = 'reading 45.2 MiB of 200.0 MiB (22%), 61.3 MiB/s';
  assert.match(lineText(model.statusBar(W, T0)), /^ wspeek open big\.pcap │ reading 45\.2 MiB of 200\.0 MiB \(22%\), 61\.3 MiB\/s │ 0 connections, 0 messages +\? help $/);
  assert.match(lineText(model.statusBar(80, T0)), /│ reading 45\.2 MiB of 200\.0 MiB \(22%\), 61\.3 MiB\/s/);
  model.info.reading = null;
  assert.doesNotMatch(lineText(model.statusBar(W, T0)), /reading/);
});

test('the focused pane is marked: its title, and ▶ on its cursor row (▷ in the others)', () => {
  const { model, lastTs } = session();
  assert.equal(model.paneTitle('messages'), '▶ Messages');
  assert.equal(model.paneTitle('connections'), 'Connections');
  assert.equal(model.paneTitle('detail'), 'Detail');
  let d = draw(model, lastTs);
  assert.ok(d.messages.at(-1)!.startsWith('▶'));
  assert.ok(d.messages.slice(1, -1).every((l) => l.startsWith(' ')), 'only the cursor row');
  assert.ok(d.connections[0]!.startsWith('▷'));
  press(model, 'S-tab');
  assert.equal(model.paneTitle('connections'), '▶ Connections');
  assert.equal(model.paneTitle('messages'), 'Messages');
  d = draw(model, lastTs);
  assert.ok(d.connections[0]!.startsWith('▶'));
  assert.ok(d.messages.at(-1)!.startsWith('▷'));
  assert.deepEqual(model.connectionLines(6, W, lastTs)[0]!.map((s) => s.style).filter((s) => s !== 'selected'), [], 'the whole cursor row is drawn selected');
});

test("'/' in the detail pane searches its text: matches marked, the view jumps to them, n / N and match k of n", () => {
  const { model, store, lastTs } = session();
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) lines.push(`line ${i}${i % 20 === 7 ? ' has the Needle' : ''}`);
  for (const r of message({ conn: 2, from: 'server', text: lines.join('\n') }, lastTs + 10)) store.add(r);
  model.messageLines(12, W);
  press(model, 'tab');
  assert.equal(model.focus, 'detail');
  press(model, '/');
  assert.equal(inputKind(model), 'detail');
  type(model, 'needle');
  assert.equal(model.messages.filterSource, '', 'the list is not filtered');
  assert.equal(model.messages.length, 11);
  let view = model.detailLines(10, 80);
  assert.match(lineText(model.filterBar(W)), /^search the detail: needle█ {2}match 1 of 3/);
  const current = (v: Line[]) => v.flatMap((l) => l.filter((s) => s.style === 'selected').map((s) => s.text));
  assert.deepEqual(current(view), ['Needle'], 'the current match, any case');
  assert.ok(view.some((l) => lineText(l).startsWith('line 7 has')), 'the view jumped to it');
  press(model, 'enter');
  assert.equal(model.input, null);
  press(model, 'n');
  view = model.detailLines(10, 80);
  assert.ok(view.some((l) => lineText(l).startsWith('line 27 has') && l.some((s) => s.style === 'selected')), 'n: the next match, in view');
  assert.match(lineText(model.filterBar(W)), /detail: needle {2}match 2 of 3/);
  press(model, 'n');
  model.detailLines(10, 80);
  press(model, 'n');
  assert.equal(model.notice, 'no more matches for needle');
  press(model, 'N');
  view = model.detailLines(10, 80);
  assert.ok(view.some((l) => lineText(l).startsWith('line 27 has') && l.some((s) => s.style === 'selected')));
  // Elsewhere '/' filters the list, as before.
  press(model, 'S-tab');
  press(model, '/');
  assert.equal(inputKind(model), 'filter');
});

// ---------------------------------------------------------------------------------------------
// Getting a payload out: copy (y), write (w, W), the mouse (M), saving the view (s)

/** The save prompt's error (a function, so TypeScript doesn't narrow model.input across key presses). */
const promptError = (model: AppModel): string | null | undefined => (model.input?.kind === 'save' ? model.input.error : undefined);

/** The effect a key asked for, failing when it asked for none or another. */
function effect<K extends Effect['kind']>(action: Action, kind: K): Effect & { kind: K } {
  assert.ok(typeof action === 'object' && action.kind === kind, `expected ${kind}, got ${JSON.stringify(action)}`);
  return action as Effect & { kind: K };
}

test("'y' copies the selected payload with OSC 52: text as text, binary as base64, with a notice", () => {
  const { model } = session();
  press(model, 'g');
  assert.deepEqual(press(model, 'y'), { kind: 'copy', sequence: osc52('hello server') });
  assert.equal(model.notice, "copied 12 B of text to the clipboard (OSC 52; if it doesn't arrive, w writes a file)");
  assert.match(lineText(model.filterBar(W)), /copied 12 B of text to the clipboard/);
  press(model, 'j');
  press(model, 'j');
  const binary = Buffer.from([0, 1, 2, 3, 0xfe, 0xff, 0x41, 0x42]);
  assert.deepEqual(press(model, 'y'), { kind: 'copy', sequence: osc52(binary.toString('base64')) });
  assert.match(model.notice ?? '', /^copied 8 B of binary as base64 \(12 characters\) to the clipboard/);
  press(model, 'tab');
  assert.equal(model.focus, 'detail');
  assert.equal(effect(press(model, 'y'), 'copy').sequence, osc52(binary.toString('base64')), 'the detail pane shows the same message');
  press(model, 'tab');
  assert.equal(model.focus, 'connections');
  assert.equal(press(model, 'y'), 'none');
  assert.equal(model.notice, 'nothing copied: select a message first (Tab to the messages)');
  press(model, 'tab');
  press(model, '/');
  type(model, 'nothing like this');
  press(model, 'enter');
  assert.equal(press(model, 'y'), 'none');
  assert.equal(model.notice, 'nothing copied: no message selected');
});

test("'w' asks for the raw payload in a new file, 'W' for indented JSON; the screen's outcome becomes the notice", () => {
  const { model } = session();
  press(model, 'g');
  press(model, 'j'); // the JSON text
  const row = model.messages.selected()!;
  const raw = effect(press(model, 'w'), 'write-payload');
  assert.equal(model.notice, null, 'nothing said before it is written');
  assert.deepEqual(raw.file, { name: `wspeek-conn1-seq1-${localStamp(row.record.ts)}.json`, bytes: Buffer.from('{"type":"tick","seq":1,"price":100.25}'), what: '38 B' });
  model.wrote(raw, { path: raw.file.name });
  assert.equal(model.notice, `wrote 38 B to ${raw.file.name}`);
  const indented = effect(press(model, 'W'), 'write-payload');
  assert.equal(indented.file.name, `wspeek-conn1-seq1-${localStamp(row.record.ts)}-indented.json`);
  assert.equal(indented.file.bytes.toString(), indentJson('{"type":"tick","seq":1,"price":100.25}'));
  assert.equal(indented.file.bytes.toString(), '{\n  "type": "tick",\n  "seq": 1,\n  "price": 100.25\n}\n');
  model.wrote(indented, { error: `${indented.file.name} already exists; wspeek never overwrites a file` });
  assert.equal(model.notice, `could not write the payload: ${indented.file.name} already exists; wspeek never overwrites a file`);
  press(model, 'j'); // binary
  const binary = effect(press(model, 'w'), 'write-payload');
  assert.deepEqual(binary.file.bytes, Buffer.from([0, 1, 2, 3, 0xfe, 0xff, 0x41, 0x42]));
  assert.match(binary.file.name, /^wspeek-conn1-seq1-\d{8}-\d{6}\.bin$/);
  assert.equal(press(model, 'W'), 'none');
  assert.equal(model.notice, 'nothing written: not a JSON object or array: w writes the payload as it is');
  press(model, 'S-tab');
  assert.equal(press(model, 'w'), 'none');
  assert.equal(model.notice, 'nothing written: select a message first (Tab to the messages)');
});

test("'M' turns the UI's mouse handling off (the terminal selects text) and on; the status bar says when it is off", () => {
  const { model, lastTs } = session();
  assert.equal(model.mouse, true);
  assert.doesNotMatch(lineText(model.statusBar(W, lastTs)), /MOUSE OFF/);
  assert.deepEqual(press(model, 'M'), { kind: 'mouse', on: false });
  assert.equal(model.notice, 'mouse off: the terminal selects text (M turns it on)');
  assert.match(lineText(model.statusBar(W, lastTs)), /FOLLOW {2}MOUSE OFF {2}\? help $/);
  press(model, 'j');
  assert.match(lineText(model.statusBar(W, lastTs)), /MOUSE OFF/, 'it stays in the status bar after the notice goes');
  assert.deepEqual(press(model, 'M'), { kind: 'mouse', on: true });
  assert.equal(model.notice, 'mouse on: click selects, the wheel scrolls');
  assert.doesNotMatch(lineText(model.statusBar(W, lastTs)), /MOUSE OFF/);
});

test("'s' asks for a file name (local time, the JSONL format; Tab for HAR); Enter asks the screen to save, Esc cancels", () => {
  const { model } = session();
  model.clock = () => new Date(2024, 0, 15, 9, 30, 5).getTime();
  assert.equal(press(model, 's'), 'none');
  assert.deepEqual(model.input, { kind: 'save', text: 'wspeek-view-20240115-093005.jsonl', format: 'jsonl', error: null });
  assert.equal(lineText(model.filterBar(W)), 'save view as: wspeek-view-20240115-093005.jsonl█  format: [jsonl] har  Tab format · Enter saves · Esc cancels');
  press(model, 'tab');
  assert.deepEqual(model.input, { kind: 'save', text: 'wspeek-view-20240115-093005.har', format: 'har', error: null }, 'Tab: HAR, and the name\'s extension with it');
  assert.match(lineText(model.filterBar(W)), / format: jsonl \[har\] /);
  assert.deepEqual(effect(press(model, 'enter'), 'save-view'), { kind: 'save-view', path: 'wspeek-view-20240115-093005.har', format: 'har', records: model.viewRecords() });
  press(model, 'tab');
  assert.deepEqual(model.input, { kind: 'save', text: 'wspeek-view-20240115-093005.jsonl', format: 'jsonl', error: null }, 'and back to JSONL');
  // Keys are typed, not acted on.
  press(model, 'C-u');
  type(model, 'q y w M /c s');
  assert.equal(inputText(model), 'q y w M /c s');
  assert.equal(model.messages.length, 10);
  assert.equal(model.mouse, true);
  press(model, 'escape');
  assert.equal(model.input, null);
  assert.equal(model.notice, null);

  press(model, 's');
  for (const _ of '.jsonl') press(model, 'backspace');
  type(model, '.log');
  assert.equal(inputText(model), 'wspeek-view-20240115-093005.log');
  press(model, 'C-u');
  assert.equal(press(model, 'enter'), 'none');
  assert.deepEqual(model.input, { kind: 'save', text: '', format: 'jsonl', error: 'type a file name' });
  assert.match(lineText(model.filterBar(W)), /^save view as: █ {2}✗ type a file name {2}format:/);
  type(model, ' view.jsonl ');
  assert.equal(promptError(model), null, 'typing clears the error');
  const save = effect(press(model, 'enter'), 'save-view');
  assert.deepEqual(save, { kind: 'save-view', path: 'view.jsonl', format: 'jsonl', records: model.viewRecords() });
  assert.ok(model.input, 'the prompt stays until the screen says how it went');

  // Refused (the file exists): the prompt stays, with the name as typed and why.
  model.wrote(save, { error: 'view.jsonl already exists; wspeek never overwrites a file' });
  assert.equal(inputText(model), ' view.jsonl ');
  assert.match(lineText(model.filterBar(W)), /^save view as: {2}view\.jsonl █ {2}✗ view\.jsonl already exists; wspeek never overwrites a file {2}format: \[jsonl\]/);
  press(model, 'C-u');
  type(model, 'other.jsonl');
  const again = effect(press(model, 'enter'), 'save-view');
  model.wrote(again, { path: 'other.jsonl' });
  assert.equal(model.input, null);
  assert.equal(model.notice, `saved 10 messages (${again.records.length} records) to other.jsonl`);
  assert.equal(press(model, 'C-c'), 'quit');
  press(model, 's');
  assert.equal(press(model, 'C-c'), 'quit', 'C-c quits from the prompt too');
});

test('terminal safety: a typed file name and an error that quotes it come out inert', () => {
  const { model } = session();
  press(model, 's');
  type(model, EVIL);
  assertSafe([model.filterBar(W)], 'save prompt');
  const save = effect(press(model, 'enter'), 'save-view');
  model.wrote(save, { error: `cannot write ${EVIL}: no such file or directory` });
  assertSafe([model.filterBar(W)], 'save error');
  press(model, 'escape');
  press(model, 'y');
  model.wrote(effect(press(model, 'w'), 'write-payload'), { path: EVIL });
  assertSafe([model.filterBar(W)], 'written notice');
});

// ---------------------------------------------------------------------------------------------
// Application protocols: what the rows, the detail and `p` make of a message's `app` entries.

/** A session whose connection 1 speaks a protocol: a request (seq 1), a heartbeat, its reply (seq 3), and a plain message on connection 2. */
function appSession(): Session {
  // The layer (with no protocols of its own) keeps the entries these records come with, as for a file, and marks answered requests.
  const s = session(1000, null, new AppLayer({ protocols: [] }));
  const ts = s.lastTs + 100;
  const req = message({ conn: 2, from: 'client', text: '421["chat",{"room":"a"}]' }, ts);
  req[1].seq = 21;
  req[1].app = [{ protocol: 'socket.io', type: 'event', name: 'chat', id: 1, namespace: '/', args: [{ room: 'a' }] }];
  const ping = message({ conn: 2, from: 'server', text: '2' }, ts + 1);
  ping[1].seq = 22;
  ping[1].app = [{ protocol: 'engine.io', type: 'ping', heartbeat: true }];
  const ack = message({ conn: 2, from: 'server', text: '431["ok"]' }, ts + 3.2);
  ack[1].seq = 23;
  ack[1].app = [{ protocol: 'socket.io', type: 'ack', id: 1, namespace: '/', pair: 21, latencyMs: 3.2, name: 'chat', args: ['ok'] }];
  for (const r of [...req, ...ping, ...ack]) {
    s.records.push(r);
    s.store.add(r);
  }
  s.lastTs = ts + 3.2;
  return s;
}

test('a message its protocol reads shows the protocol in a column and what it says as the preview; heartbeats are dim', () => {
  const { model, lastTs } = appSession();
  const d = draw(model, lastTs + 1);
  assert.match(d.messages[0]!, / proto +payload/, 'the column appears once a drawn row has a protocol');
  const rows = rowTexts(model);
  assert.match(rows.at(-3)!, /socket\.io +event "chat" #1 \[\{"room":"a"\}\] *$/);
  assert.match(rows.at(-1)!, /socket\.io +ack "chat" #1 ↩21 \+3\.20ms \["ok"\] *$/);
  const pingRow = model.messageLines(40, W).slice(1).at(-2)!;
  assert.ok(pingRow.some((s) => s.text.trim() === 'engine.io' && s.style === 'dim'), 'the heartbeat\'s protocol is dim');
  assert.ok(pingRow.some((s) => s.text.trim() === 'ping' && s.style === 'dim'), 'and so is what it says');
  const plain = session();
  assert.doesNotMatch(draw(plain.model, plain.lastTs).messages[0]!, /proto/, 'no protocol column while no row has one');
});

test('the detail shows the entries, the pair with its latency, and a request that was answered', () => {
  const { model } = appSession();
  press(model, 'G');
  let detail = model.detailLines(40, 80).map(lineText);
  assert.ok(detail.includes('socket.io'), 'a heading names the protocol');
  assert.ok(detail.some((l) => l === 'reply to message 21, 3.20ms after it (p jumps to it)'), detail.join('\n'));
  assert.ok(detail.includes('  "ok"'), 'the arguments as a tree');
  press(model, 'k');
  press(model, 'k');
  detail = model.detailLines(40, 80).map(lineText);
  assert.ok(detail.includes('answered (p jumps to the reply)'), detail.join('\n'));
  assert.ok(detail.includes('    "room": "a"'), 'nested values indented');
});

test('p jumps from a reply to its request and back, and says why when it cannot', () => {
  const { model } = appSession();
  press(model, 'G');
  const reply = model.messages.selectedSeq();
  press(model, 'p');
  assert.equal((model.messages.selected()!.record as MessageRecord).seq, 21, 'on the request');
  press(model, 'p');
  assert.equal(model.messages.selectedSeq(), reply, 'back on the reply');
  press(model, 'k');
  press(model, 'p');
  assert.match(model.notice ?? '', /neither/, 'a heartbeat is neither a request nor a reply');
  press(model, 'G');
  model.messages.setFilter({ source: 'server', predicate: (s) => s.from === 'server' });
  press(model, 'G');
  press(model, 'p');
  assert.match(model.notice ?? '', /hidden by the filter/);
});

test('with the filter unanswered, a request leaves the list when its reply comes', () => {
  const layer = new AppLayer({ protocols: [] });
  const unanswered = parseFilter('unanswered');
  assert.ok(unanswered.ok);
  const s = session(1000, unanswered, layer);
  const ts = s.lastTs + 100;
  const [f1, req] = message({ conn: 2, from: 'client', text: 'call' }, ts);
  req.seq = 30;
  req.app = [{ protocol: 'json-rpc', type: 'request', name: 'sum', id: 9 }];
  for (const r of [f1, req]) s.store.add(r);
  assert.deepEqual(rowTexts(s.model).map((l) => /request sum #9/.test(l)), [true], 'the request waits for its reply');
  const [f2, res] = message({ conn: 2, from: 'server', text: 'answer' }, ts + 1);
  res.seq = 31;
  res.app = [{ protocol: 'json-rpc', type: 'response', id: 9, pair: 30, latencyMs: 1 }];
  for (const r of [f2, res]) s.store.add(r);
  assert.equal(s.model.messages.length, 0, 'answered: no longer listed, and the reply is no request');
});

test('P reads the selected binary message\'s direction as a --proto type in the detail, and says what it did', () => {
  const { model } = session();
  press(model, 'G');
  press(model, 'P');
  assert.match(model.notice ?? '', /give the \.proto with --proto FILE/);
  const root = protobuf.parse('syntax = "proto3"; message Raw { bytes data = 1; }').root;
  model.protobuf = new ProtobufChoice(protobufTypes(root));
  press(model, 'P');
  assert.match(model.notice ?? '', /select one/, 'the last row is text');
  // The binary message of the standard session (row 3): 00 01 02 03 fe ff 41 42 is no Raw message.
  press(model, 'g');
  press(model, 'j');
  press(model, 'j');
  press(model, 'P');
  assert.match(model.notice ?? '', /^#1 client → server: binary messages read as Raw in the detail/);
  assert.ok(model.detailLines(60, 80).map(lineText).some((l) => l === 'Protobuf as Raw'));
});

test('o shows the set-up QR codes centred, any key then closes them, and C-c still quits', () => {
  const { model } = session();
  model.info.setup = { proxy: '192.168.1.20:8080', caPage: 'http://wspeek.ca/' };
  press(model, 'o');
  assert.equal(model.showSetup, true);
  for (const [w, h] of [[76, 20], [116, 26], [246, 56]] as const) {
    const lines = model.setupLines(h, w).map(lineText);
    assert.equal(lines.length, h);
    assert.ok(lines.every((l) => [...l].length <= w), `${w}×${h}: no line wider than the overlay`);
    const caption = lines.find((l) => l.includes('proxy 192.168.1.20:8080'));
    assert.ok(caption, `${w}×${h}: the captions show`);
    assert.match(caption, /CA page http:\/\/wspeek\.ca\//);
    assert.ok(lines.some((l) => l.includes('█▀') || l.includes('▀█')), `${w}×${h}: the codes show`);
    assert.equal(lines[h - 1]!.trimEnd(), 'any key closes');
  }
  const codeLines = model.setupLines(20, 76).map(lineText).slice(0, -1).filter((l) => l.trim() !== '');
  const widest = Math.max(...codeLines.map((l) => [...l.trim()].length));
  const left = codeLines[0]!.length - codeLines[0]!.trimStart().length;
  assert.ok(left > 0 && Math.abs(left - (76 - left - widest)) <= 1, `centred: ${left} columns left, ${76 - left - widest} right`);
  press(model, 'j');
  assert.equal(model.showSetup, false, 'any key closes them');
  assert.equal(model.focus, 'messages', 'and does nothing else');
  press(model, 'o');
  assert.equal(press(model, 'C-c'), 'quit');
});

test('o where the codes do not fit says so, with the address and URL as text', () => {
  const { model } = session();
  model.info.setup = { proxy: '192.168.1.20:8080', caPage: 'http://wspeek.ca/' };
  press(model, 'o');
  const lines = model.setupLines(12, 40).map(lineText);
  assert.equal(lines.length, 12);
  assert.ok(lines.every((l) => l.length <= 40));
  const said = lines.join(' ').replace(/\s+/g, ' ');
  assert.match(said, /too small for the QR codes: they need \d+×\d+ or \d+×\d+ cells, this is 40×11\. Proxy 192\.168\.1\.20:8080, CA page http:\/\/wspeek\.ca\//);
});

test('o without set-up codes (loopback, reverse mode, a saved session) says where they come from', () => {
  const { model } = session();
  press(model, 'o');
  assert.equal(model.showSetup, false);
  assert.match(lineText(model.filterBar(W)), /o shows QR codes to set a phone up/);
});
