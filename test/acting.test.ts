import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompiledFilter } from '../core/filter/filter.js';
import { messageSubject } from '../core/filter/subject.js';
import { actionRecord, type ActionRecord, type LogRecord, type MessageRecord } from '../core/log/records.js';
import { SessionStore } from '../core/store/session-store.js';
import type { Side } from '../core/websocket/events.js';
import type { EditEffect } from '../tui/acting.js';
import { AppModel, type Action } from '../tui/app-model.js';
import type { HeldSummary, InterceptionControl, OutgoingMessage } from '../tui/interception-control.js';
import { count } from '../tui/format.js';
import { LARGE_PAYLOAD, PREFIX_BYTES } from '../tui/message-rows.js';
import { lineText } from '../tui/styled-text.js';

// ---------------------------------------------------------------------------------------------
// A live session in memory: the store, the model, and a control that answers as the proxy's
// interception does, writing its action records into the store.

const T0 = Date.UTC(2024, 0, 15, 9, 30, 0, 0);
const W = 160;
const other = (side: Side): Side => (side === 'client' ? 'server' : 'client');

class FakeInterception implements InterceptionControl {
  calls: string[] = [];
  filter: CompiledFilter | null = null;
  held = new Map<string, { message: MessageRecord; edit: OutgoingMessage | null }>();
  waiting = { frames: 0, bytes: 0 };
  /** What the next call answers instead of doing it. */
  refuse: string | null = null;
  ts = T0 + 10_000;

  constructor(
    private readonly add: (r: LogRecord) => void,
    readonly initialFilter = '',
  ) {}

  /** A message arrives: held when the filter matches it, as the proxy would. */
  arrive(m: MessageRecord): void {
    this.add(m);
    if (!this.filter?.predicate(messageSubject({ record: m, connection: null, frames: [], violations: [] }, m))) return;
    this.held.set(`${m.conn}:${m.seq}`, { message: m, edit: null });
    this.act(m.conn, m.from, 'held', { seq: m.seq });
  }

  setFilter(filter: CompiledFilter | null): string | null {
    this.calls.push(`setFilter ${filter?.source ?? null}`);
    this.filter = filter;
    return null;
  }
  forward(conn: number, seq: number): string | null {
    this.calls.push(`forward ${conn} ${seq}`);
    const h = this.held.get(`${conn}:${seq}`);
    if (!h) return `message ${seq} of #${conn} is not held`;
    this.held.delete(`${conn}:${seq}`);
    this.act(conn, h.message.from, 'forwarded', { seq, ...(h.edit ? sent(h.edit) : {}) });
    return null;
  }
  forwardAll(): void {
    this.calls.push('forwardAll');
    for (const h of [...this.held.values()]) this.forward(h.message.conn, h.message.seq);
  }
  drop(conn: number, seq: number): string | null {
    this.calls.push(`drop ${conn} ${seq}`);
    const h = this.held.get(`${conn}:${seq}`);
    if (!h) return `message ${seq} of #${conn} is not held`;
    this.held.delete(`${conn}:${seq}`);
    this.act(conn, h.message.from, 'dropped', { seq });
    return null;
  }
  edit(conn: number, seq: number, message: OutgoingMessage): string | null {
    this.calls.push(`edit ${conn} ${seq} ${message.opcode} ${Buffer.from(message.payload).toString('hex')}`);
    if (this.refuse) return this.refuse;
    const h = this.held.get(`${conn}:${seq}`)!;
    h.edit = message;
    this.act(conn, h.message.from, 'edited', { seq, ...sent(message) });
    return null;
  }
  inject(conn: number, to: Side, message: OutgoingMessage): string | null {
    this.calls.push(`inject ${conn} ${to} ${message.opcode} ${Buffer.from(message.payload).toString('hex')}`);
    this.act(conn, other(to), 'injected', sent(message));
    return null;
  }
  resend(record: MessageRecord, message?: OutgoingMessage): string | null {
    this.calls.push(`resend ${record.conn} ${record.seq}${message ? ` ${message.opcode} ${Buffer.from(message.payload).toString('hex')}` : ''}`);
    const m = message ?? { opcode: record.kind === 'text' ? 1 : 2, payload: Buffer.from(record.text ?? record.base64 ?? '', record.text !== undefined ? 'utf8' : 'base64') };
    this.act(record.conn, record.from, 'resent', { seq: record.seq, ...sent(m as OutgoingMessage) });
    return null;
  }
  close(conn: number, code: number, reason: string): string | null {
    this.calls.push(`close ${conn} ${code} ${reason}`);
    if (code < 1000) return `close code ${code} is not one an endpoint may send`;
    for (const from of ['client', 'server'] as const) this.act(conn, from, 'closed', { code, reason });
    return null;
  }
  reset(conn: number): string | null {
    this.calls.push(`reset ${conn}`);
    for (const from of ['client', 'server'] as const) this.act(conn, from, 'reset', {});
    return null;
  }
  summary(): HeldSummary {
    return { messages: this.held.size, waitingFrames: this.waiting.frames, waitingBytes: this.waiting.bytes };
  }

  private act(conn: number, from: Side, action: ActionRecord['action'], fields: Partial<ActionRecord>): void {
    this.add(actionRecord(conn, (this.ts += 1), { from, to: other(from), action, by: 'user', ...fields }));
  }
}

function sent(m: OutgoingMessage): Partial<ActionRecord> {
  const b = Buffer.from(m.payload);
  return m.opcode === 1 ? { text: b.toString('utf8'), length: b.length } : { base64: b.toString('base64'), length: b.length };
}

interface Live {
  model: AppModel;
  proxy: FakeInterception;
  /** A data message from `from` on connection 1, numbered in order. */
  send(from: Side, payload: string | Buffer): MessageRecord;
}

function live(control = true, initialFilter = ''): Live {
  const store = new SessionStore();
  let proxy!: FakeInterception;
  proxy = new FakeInterception((r) => store.add(r), initialFilter);
  const model = new AppModel({ mode: 'reverse', listen: '127.0.0.1:9000', target: 'ws://127.0.0.1:3000/', file: null }, 1000, null, control ? proxy : null);
  store.subscribe((s) => model.add(s));
  store.add({ type: 'session', version: 1, tool: 'wspeek', ts: T0, mode: 'reverse', listen: '127.0.0.1:9000', target: 'ws://127.0.0.1:3000/' });
  store.add({ type: 'connect', conn: 1, ts: T0 + 1, client: '127.0.0.1:50001', server: '127.0.0.1:3000', tls: false });
  store.add({
    type: 'handshake', conn: 1, ts: T0 + 2, url: 'ws://127.0.0.1:3000/chat',
    request: { method: 'GET', target: '/chat', version: 'HTTP/1.1', headers: [] },
    response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
    ms: 1, accept: 'valid', protocol: null, extensions: [], upgraded: true,
  });
  let seq = 0;
  const send = (from: Side, payload: string | Buffer): MessageRecord => {
    seq++;
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const m: MessageRecord = {
      type: 'message', conn: 1, seq, ts: T0 + 100 + seq, from, kind: typeof payload === 'string' ? 'text' : 'binary', length: bytes.length,
      wireLength: bytes.length, frames: 1, compressed: false, truncated: false,
    };
    if (typeof payload === 'string') m.text = payload;
    else m.base64 = payload.toString('base64');
    proxy.arrive(m);
    return m;
  };
  return { model, proxy, send };
}

function press(model: AppModel, key: string): Action {
  switch (key) {
    case 'enter': return model.key('\r', 'enter');
    case 'escape': return model.key('\x1b', 'escape');
    case 'tab': return model.key('\t', 'tab');
    case 'backspace': return model.key('\x7f', 'backspace');
    case 'C-c': return model.key('\x03', 'C-c');
    case 'C-u': return model.key('\x15', 'C-u');
  }
  return model.key(key, /[A-Z]/.test(key) ? `S-${key.toLowerCase()}` : key);
}

function type(model: AppModel, text: string): void {
  for (const c of text) model.key(c, c === ' ' ? 'space' : /[A-Z]/.test(c) ? `S-${c.toLowerCase()}` : c);
}

const rows = (model: AppModel) => model.messageLines(30, W).slice(1).map((l) => lineText(l).trimEnd());
const detail = (model: AppModel) => model.detailLines(60, 100).map(lineText).join('\n');
const filterBar = (model: AppModel) => lineText(model.filterBar(W));
const status = (model: AppModel) => lineText(model.statusBar(W, T0 + 20_000));

/** Sets the intercept filter through `i`. */
function intercept(model: AppModel, source: string): void {
  press(model, 'i');
  press(model, 'C-u');
  type(model, source);
  press(model, 'enter');
}

/** Selects the row whose line matches. */
function select(model: AppModel, pattern: RegExp): void {
  const i = rows(model).findIndex((l) => pattern.test(l));
  assert.ok(i >= 0, `a row matching ${pattern}:\n${rows(model).join('\n')}`);
  model.messages.select(i);
}

function editEffect(action: Action): EditEffect {
  assert.ok(typeof action === 'object' && action.kind === 'edit', `an editor session: ${JSON.stringify(action)}`);
  return action;
}

// ---------------------------------------------------------------------------------------------

test('a saved session has nothing to act on: every acting key says so, and q quits at once', () => {
  const { model, proxy } = live(false);
  for (const key of ['i', 'a', 'A', 'd', 'e', 'm', 'r', 'R', 'x', 'X']) {
    assert.equal(press(model, key), 'none', key);
    assert.match(model.notice ?? '', /^nothing to act on: this is a saved session \(wspeek open\)/, key);
    assert.equal(model.acting.prompt, null);
  }
  assert.deepEqual(proxy.calls, []);
  assert.equal(press(model, 'q'), 'quit');
  assert.doesNotMatch(status(model), /held/);
});

test('i edits the intercept filter like /: errors shown and not applied, Enter sets it, Esc leaves it, empty turns it off', () => {
  const { model, proxy, send } = live();
  press(model, 'i');
  type(model, 'payload:secret and kind:(');
  assert.match(filterBar(model), /^intercept: payload:secret and kind:\(█ {2}✗ expected a value after 'kind:' \(at 25\)/);
  press(model, 'enter');
  assert.notEqual(model.acting.prompt, null, 'an error keeps the prompt open');
  assert.deepEqual(proxy.calls, [], 'nothing is set while typing: a prefix would hold what it matches');
  press(model, 'backspace');
  press(model, 'backspace');
  press(model, 'backspace');
  press(model, 'backspace');
  press(model, 'backspace');
  press(model, 'backspace');
  press(model, 'backspace');
  press(model, 'backspace');
  press(model, 'backspace');
  press(model, 'backspace');
  press(model, 'enter');
  assert.deepEqual(proxy.calls, ['setFilter payload:secret']);
  assert.equal(model.acting.prompt, null);
  assert.match(model.notice!, /^holding the data messages that match payload:secret/);
  assert.match(filterBar(model), /intercept: payload:secret/);
  assert.match(status(model), / │ held 0 │ /, 'the status bar counts what is held once a filter is set');

  send('client', 'hello');
  send('client', 'my secret');
  send('client', 'another secret');
  proxy.waiting = { frames: 3, bytes: 2048 };
  assert.match(status(model), / │ held 2, 3 frames \(2\.0 KiB\) waiting behind │ /);

  press(model, 'i');
  type(model, 'x');
  press(model, 'escape');
  assert.equal(proxy.calls.length, 1, 'Esc sets nothing');
  assert.match(filterBar(model), /intercept: payload:secret/);

  intercept(model, '');
  assert.deepEqual(proxy.calls.slice(1), ['setFilter null']);
  assert.equal(model.notice, 'interception off; 2 messages stay held (a, A forward)');
  assert.doesNotMatch(filterBar(model), /intercept:/);
  assert.match(status(model), /held 2/, 'still held');
});

test('an intercept filter in force from the start (--intercept) is shown, counted and edited by i like one set there', () => {
  const { model, proxy } = live(true, 'payload:secret');
  assert.match(filterBar(model), /intercept: payload:secret/);
  assert.match(status(model), / │ held 0 │ /);
  press(model, 'i');
  assert.match(filterBar(model), /^intercept: payload:secret█/);
  press(model, 'escape');
  intercept(model, '');
  assert.deepEqual(proxy.calls, ['setFilter null']);
  assert.doesNotMatch(filterBar(model), /intercept:/);
});

test('held rows are marked; the held filter lists them; a forwards, d drops, and each row leaves the held view as it is decided', () => {
  const { model, proxy, send } = live();
  intercept(model, 'payload:secret');
  send('client', 'hello');
  send('client', 'secret one');
  send('server', 'secret two');
  send('client', 'secret three');
  let r = rows(model);
  assert.match(r[0]!, /→ text +5 B +hello$/);
  assert.doesNotMatch(r[0]!, /HELD|forwarded/, 'nothing marks a message wspeek left alone');
  assert.match(r[1]!, /→ text +10 B +HELD +secret one$/);
  assert.match(r[2]!, /← text +10 B +HELD +secret two$/);

  press(model, '/');
  type(model, 'held');
  press(model, 'enter');
  assert.equal(rows(model).length, 3);
  assert.match(filterBar(model), /^filter: held  intercept: payload:secret +3 of 4$/);

  select(model, /secret one/);
  press(model, 'a');
  assert.equal(model.notice, 'forwarded message 2 of #1');
  assert.deepEqual(proxy.calls.slice(-1), ['forward 1 2']);
  r = rows(model);
  assert.equal(r.length, 2, 'the forwarded row left the held view');
  assert.match(r[0]!, /^▶.*secret two$/, 'the cursor moved on to the next held row');

  press(model, 'd');
  assert.equal(model.notice, 'dropped message 3 of #1: the client never gets it');
  assert.equal(rows(model).length, 1);

  press(model, '/');
  press(model, 'C-u');
  type(model, 'acted');
  press(model, 'enter');
  r = rows(model);
  assert.equal(r.length, 3);
  assert.match(r[0]!, / forwarded +secret one$/);
  assert.match(r[1]!, / dropped +secret two$/);
  assert.match(r[2]!, / HELD +secret three$/);
  select(model, /secret two/);
  const d = detail(model);
  assert.match(d, /\nDropped\nThe client never got it\./);
  assert.match(d, /What wspeek did\n\d\d:\d\d:\d\d\.\d{3} {2}held message 3 s→c by the user\n\d\d:\d\d:\d\d\.\d{3} {2}dropped message 3 s→c by the user/);

  press(model, '/');
  press(model, 'C-u');
  type(model, 'dropped');
  press(model, 'enter');
  assert.equal(rows(model).length, 1);
});

test('a, d and e say why when the selected row is not held', () => {
  const { model, proxy, send } = live();
  send('client', 'hello');
  press(model, 'a');
  assert.equal(model.notice, 'message 1 of #1 is not held; i sets the intercept filter that holds messages');
  intercept(model, 'payload:secret');
  send('client', 'secret');
  model.messages.select(0);
  press(model, 'd');
  assert.equal(model.notice, 'message 1 of #1 is not held: held rows are marked HELD (the filter keyword held lists them)');
  press(model, 'tab');
  press(model, 'tab');
  assert.equal(model.focus, 'connections');
  press(model, 'e');
  assert.match(model.notice!, /^select a held message first/);
  assert.deepEqual(proxy.calls, ['setFilter payload:secret']);
});

test('e: the held text in the editor; what comes back (less the newline the editor added) is the edit, held until a sends it', () => {
  const { model, proxy, send } = live();
  intercept(model, 'payload:secret');
  send('client', 'the secret');
  const edit = editEffect(press(model, 'e'));
  assert.equal(edit.document.as, 'text');
  assert.equal(edit.document.content.toString(), 'the secret', 'the text as it is, nothing around it');
  assert.equal(edit.document.extension, '.txt');

  assert.equal(model.edited(edit, { file: Buffer.from('the public\n') }), 'none');
  assert.deepEqual(proxy.calls.slice(-1), [`edit 1 1 1 ${Buffer.from('the public').toString('hex')}`]);
  assert.equal(model.notice, 'edited message 1 of #1: held until a forwards it (10 B)');
  assert.match(rows(model)[0]!, / HELD edited +the secret$/, 'the row keeps what the client sent, marked');
  let d = detail(model);
  assert.match(d, /\nPayload\nthe secret\n/, 'the original');
  assert.match(d, /\nEdited: what wspeek sends instead \(once forwarded\)\nthe public\n/, 'and what will be sent');
  assert.match(d, /a\s+forwards\s+it\s+as\s+edited/);

  // Editing again starts from the edit.
  const again = editEffect(press(model, 'e'));
  assert.equal(again.document.content.toString(), 'the public');
  assert.equal(model.edited(again, { file: Buffer.from('the public') }), 'none');
  assert.equal(model.notice, 'message 1 of #1 unchanged: still held as it was');
  assert.equal(proxy.calls.filter((c) => c.startsWith('edit')).length, 1, 'an unchanged file is no edit');

  press(model, 'a');
  assert.equal(model.notice, 'forwarded message 1 of #1 as edited');
  d = detail(model);
  assert.match(d, /Edited: what wspeek sends instead \(as sent\)\nthe public/);
  assert.match(d, /forwarded message 1 c→s as edited by the user: "the public"/);
  assert.match(rows(model)[0]!, / edited +the secret$/);
});

test('e: binary as a hex dump read back; a line that is not bytes opens the editor again with the error, and nothing is sent', () => {
  const { model, proxy, send } = live();
  intercept(model, 'binary');
  send('server', Buffer.from([0, 1, 2, 0xff]));
  const edit = editEffect(press(model, 'e'));
  assert.equal(edit.document.as, 'hex');
  const text = edit.document.content.toString();
  assert.match(text, /^# wspeek: binary message 1 of #1, server → client, held, as a hex dump\.\n# Edit the bytes/);
  assert.match(text, /#\.\n00000000 {2}00 01 02 ff {39}\|\.\.\.\.\|\n$/);

  const bad = text.replace('00 01 02 ff', '00 01 02 fg');
  const again = editEffect(model.edited(edit, { file: Buffer.from(bad) }));
  assert.match(again.document.content.toString(), /^# ✗ line 3: "fg" is not a byte \(two hex digits\): nothing was sent; correct it/);
  assert.ok(again.document.content.toString().includes('00 01 02 fg'), 'what the user typed is kept');
  assert.equal(proxy.calls.filter((c) => c.startsWith('edit')).length, 0, 'nothing sent');

  assert.equal(model.edited(again, { file: Buffer.from(again.document.content.toString().replace('02 fg', '02 fe 41')) }), 'none');
  assert.deepEqual(proxy.calls.slice(-1), ['edit 1 1 2 000102fe41']);
  assert.match(detail(model), /Edited: what wspeek sends instead \(once forwarded\)\n0000 {2}00 01 02 fe 41 /);
});

test('the editor failing, or the proxy refusing an edit, sends nothing and says why', () => {
  const { model, proxy, send } = live();
  intercept(model, 'data');
  send('client', 'x');
  const edit = editEffect(press(model, 'e'));
  assert.equal(model.edited(edit, { error: 'the editor (vi) exited with status 1' }), 'none');
  assert.equal(model.notice, 'nothing sent: the editor (vi) exited with status 1');
  proxy.refuse = 'it is compressed, and its connection was open before interception began';
  assert.equal(model.edited(edit, { file: Buffer.from('y') }), 'none');
  assert.equal(model.notice, 'it is compressed, and its connection was open before interception began');
  assert.deepEqual(rows(model).map((l) => /HELD\S*/.exec(l)?.[0]), ['HELD'], 'still held, unedited');
});

test('m composes on the selected message\'s connection: Tab turns the direction, t b the kind; the payload comes from the editor', () => {
  const { model, proxy, send } = live();
  send('server', 'tick');
  press(model, 'm');
  assert.match(filterBar(model), /^compose on #1: to server \[client\] \(Tab\) · as \[text\] binary \(t b\) {2}Enter opens the editor · Esc cancels/, 'toward the receiver of the selected message');
  press(model, 'tab');
  press(model, 'b');
  assert.match(filterBar(model), /^compose on #1: to \[server\] client \(Tab\) · as text \[binary\]/);
  const edit = editEffect(press(model, 'enter'));
  assert.equal(model.acting.prompt, null);
  assert.equal(edit.document.as, 'hex');
  assert.match(edit.document.content.toString(), /a new binary message on #1, to the server, as a hex dump/);
  assert.equal(model.edited(edit, { file: Buffer.from(`${edit.document.content.toString()}de ad be ef\n`) }), 'none');
  assert.deepEqual(proxy.calls, ['inject 1 server 2 deadbeef']);
  assert.equal(model.notice, 'sent a new message to the server on #1 (4 B)');

  const r = rows(model);
  assert.equal(r.length, 2, 'the injected message is a row of its own');
  assert.match(r[1]!, /→ binary +4 B +injected +de ad be ef$/);
  assert.match(detail(model), /#1 client → server {2}binary .*\ninjected by the user\n4 B · one frame written by wspeek: FIN set, uncompressed, masked with a fresh key\n\nPayload\n0000 {2}de ad be ef/);
  press(model, '/');
  type(model, 'injected');
  press(model, 'enter');
  assert.equal(rows(model).length, 1);

  press(model, 'm');
  const empty = editEffect(press(model, 'enter'));
  assert.equal(model.edited(empty, { file: Buffer.alloc(0) }), 'none');
  assert.equal(model.notice, 'nothing sent: the message was left empty');
  assert.equal(proxy.calls.length, 1);
});

test('m and x need a connection; Esc leaves their prompts without doing anything', () => {
  const { model, proxy, send } = live();
  press(model, 'm');
  assert.match(model.notice!, /^compose on which connection\?/);
  press(model, 'x');
  assert.match(model.notice!, /^close which connection\?/);
  press(model, 'X');
  assert.match(model.notice!, /^reset which connection\?/);
  send('client', 'hi');
  press(model, 'm');
  press(model, 'escape');
  press(model, 'x');
  press(model, 'escape');
  assert.equal(model.acting.prompt, null);
  assert.deepEqual(proxy.calls, []);
});

test('r and R refuse a message of which the UI keeps only the start, once a newer row came, and say where it is whole', () => {
  const { model, proxy, send } = live();
  const big = 'x'.repeat(LARGE_PAYLOAD + 1);
  send('client', big);
  model.messages.end();
  press(model, 'r');
  assert.equal(model.notice, 'sent message 1 again to the server on #1', 'whole while it is the newest row');
  send('client', 'after');
  model.messages.select(0);
  press(model, 'R');
  assert.equal(model.notice, `can't send it again: the UI keeps only the first ${count(PREFIX_BYTES)} B of payloads over ${count(LARGE_PAYLOAD)} B; the session log (--save) has it`);
  assert.equal(proxy.calls.length, 1);
});

test('r sends the selected message again; R after editing a copy; neither for a close message or a truncated one', () => {
  const { model, proxy, send } = live();
  send('client', 'ping me');
  assert.equal(press(model, 'r'), 'none');
  assert.deepEqual(proxy.calls, ['resend 1 1']);
  assert.equal(model.notice, 'sent message 1 again to the server on #1');
  let r = rows(model);
  assert.equal(r.length, 2);
  assert.match(r[1]!, /→ text +7 B +resent +ping me$/, 'the copy is a row of its own');
  assert.match(r[0]!, / sent again +ping me$/, 'and the original says so');

  model.messages.select(0);
  const edit = editEffect(press(model, 'R'));
  assert.match(edit.about, /^a copy of message 1 of #1, to send to the server/);
  assert.equal(model.edited(edit, { file: Buffer.from('ping me') }), 'none');
  assert.equal(model.notice, 'nothing sent: the copy was not changed (r sends the message again as it is)');
  assert.equal(model.edited(edit, { file: Buffer.from('ping you\n') }), 'none');
  assert.deepEqual(proxy.calls.slice(-1), [`resend 1 1 1 ${Buffer.from('ping you').toString('hex')}`]);

  // r on a message wspeek sent itself: the same payload injected again, the same way.
  model.messages.select(1);
  press(model, 'r');
  assert.deepEqual(proxy.calls.slice(-1), [`inject 1 server 1 ${Buffer.from('ping me').toString('hex')}`]);

  const close: MessageRecord = {
    type: 'message', conn: 1, seq: 9, ts: T0 + 900, from: 'client', kind: 'close', length: 2, wireLength: 2, frames: 1, compressed: false, truncated: false, close: { code: 1000, reason: '' },
  };
  proxy.arrive(close);
  model.messages.end();
  press(model, 'r');
  assert.equal(model.notice, "can't send it again: it is a close message: only text and binary messages");
  proxy.arrive({ ...close, seq: 10, kind: 'text', close: undefined, text: 'abc', length: 9, truncated: true });
  model.messages.end();
  press(model, 'R');
  assert.equal(model.notice, "can't send it again: only part of it was kept (--max-payload)");
  assert.equal(proxy.calls.length, 3);
});

test('x asks for a code and a reason (Tab between them) and closes both sides; a code that is no number, or one refused, keeps the prompt', () => {
  const { model, proxy, send } = live();
  send('client', 'hi');
  press(model, 'x');
  assert.match(filterBar(model), /^close #1 on purpose, code: 1000█ reason: {3}Tab next field/);
  press(model, 'C-u');
  type(model, 'abc');
  press(model, 'tab');
  type(model, 'going now');
  assert.match(filterBar(model), /^close #1 on purpose, code: abc reason: going now█/);
  press(model, 'enter');
  assert.match(filterBar(model), /✗ the code is a number: 1000 normal closure/);
  press(model, 'tab');
  press(model, 'C-u');
  type(model, '999');
  press(model, 'enter');
  assert.match(filterBar(model), /✗ close code 999 is not one an endpoint may send/);
  press(model, 'C-u');
  type(model, '4001');
  press(model, 'enter');
  assert.deepEqual(proxy.calls, ['close 1 999 going now', 'close 1 4001 going now']);
  assert.equal(model.acting.prompt, null);
  assert.equal(model.notice, 'sent a close frame (4001 "going now") to both sides of #1');

  press(model, 'X');
  assert.deepEqual(proxy.calls.slice(-1), ['reset 1']);
  assert.equal(model.notice, 'reset #1: both sides');

  // The connection's detail lists them.
  press(model, 'tab');
  press(model, 'tab');
  model.connections.select(1);
  const d = detail(model);
  assert.match(d, /What wspeek did\n.* {2}sent a close frame c→s by the user: 4001 "going now"\n.* {2}sent a close frame s→c by the user: 4001 "going now"\n.* {2}reset the connection to the server by the user\n.* {2}reset the connection to the client by the user/);
});

test('q with messages held asks: Esc stays, f forwards them all and quits, d drops them all and quits', () => {
  for (const [key, expected] of [['f', 'forward'], ['d', 'drop']] as const) {
    const { model, proxy, send } = live();
    intercept(model, 'payload:secret');
    send('client', 'secret 1');
    send('server', 'secret 2');
    assert.equal(press(model, 'q'), 'none');
    assert.equal(filterBar(model).trimEnd(), '2 messages are held: f forwards them all and quits · d drops them all and quits · Esc stays');
    assert.equal(press(model, 'j'), 'none', 'other keys do nothing');
    assert.equal(press(model, 'escape'), 'none');
    assert.equal(model.acting.prompt, null);
    assert.equal(press(model, 'C-c'), 'none', 'Ctrl-C asks too');
    assert.equal(press(model, key), 'quit');
    assert.deepEqual(proxy.calls.slice(1).filter((c) => c !== 'forwardAll'), [`${expected} 1 1`, `${expected} 1 2`]);
    assert.equal(proxy.held.size, 0);
  }
  const { model, proxy, send } = live();
  intercept(model, 'payload:secret');
  send('client', 'secret');
  press(model, 'q');
  assert.equal(press(model, 'C-c'), 'quit', 'Ctrl-C in the prompt quits: wspeek forwards them, as at a signal');
  assert.equal(proxy.held.size, 1);
});

test('A forwards every held message and says how many', () => {
  const { model, proxy, send } = live();
  press(model, 'A');
  assert.equal(model.notice, 'nothing is held');
  intercept(model, 'data');
  send('client', 'a');
  send('server', 'b');
  press(model, 'A');
  assert.equal(model.notice, 'forwarded 2 held messages');
  assert.equal(proxy.held.size, 0);
  assert.deepEqual(rows(model).map((l) => / (forwarded|HELD) /.exec(l)?.[1]), ['forwarded', 'forwarded']);
});

test('a saved view keeps the action records after their messages, and a message wspeek sent in its place', () => {
  const { model, send } = live();
  intercept(model, 'payload:secret');
  send('client', 'secret');
  press(model, 'd');
  model.messages.select(0);
  press(model, 'r');
  const types = model.viewRecords().map((r) => (r.type === 'action' ? `action ${r.action}` : r.type));
  assert.deepEqual(types, ['session', 'connect', 'handshake', 'message', 'action held', 'action dropped', 'action resent']);
});
