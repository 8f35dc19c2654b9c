import type { FilterPredicate } from '../core/filter/filter.js';
import { messageSubject } from '../core/filter/subject.js';
import { actionRecord, recordPayload, type ActionRecord, type MessageRecord } from '../core/log/records.js';
import type { HookDecision } from '../core/relay/hook-results.js';
import type { Decision } from '../core/relay/message-gate.js';
import { closePayload } from '../core/websocket/frame-encoder.js';
import { otherSide as other, type HeaderList, type Side } from '../core/websocket/events.js';
import { decodeUtf8 } from '../core/websocket/utf8.js';
import { now } from './clock.js';
import type { DecodeQueue } from './decode-queue.js';

/** Who decided an action. */
export type By = ActionRecord['by'];

/** A message wspeek writes: a text (1) or binary (2) frame's payload. */
export interface OwnMessage {
  opcode: 1 | 2;
  payload: Uint8Array;
}

/** What the interception can do to one connection carried by the WebSocket tap. */
export interface TapControl {
  conn: number;
  /** The connection's WebSocket URL. */
  url: string;
  /** From now on its data messages are released whole, each once decided (see MessageGate); at once when it is open, else once it is. */
  activate(): void;
  /** The fate of held data message `index` from `side`; null when done, else why not. */
  resolve(side: Side, index: number, decision: Decision): string | null;
  /** Null when held message `index` from `side` may be dropped or replaced; else why not. */
  rewritable(side: Side, index: number): string | null;
  /** One frame of wspeek's own toward `to`; false when that side can't take one now. */
  inject(to: Side, opcode: number, payload: Uint8Array): boolean;
  /** Held messages on this connection's two directions, and what waits behind them. */
  held(): { messages: number; waitingFrames: number; waitingBytes: number };
  /** Ends the connection once both sides have closed, or after `ms` (its end record then says why). */
  closeAfter(ms: number, reason: string): void;
  /** Resets both sides now. */
  reset(reason: string): void;
  /** Runs `release` with both sockets corked: what it releases goes out in one write per side. */
  together(release: () => void): void;
}

/** What a script's onHandshake gets: the upgrade request as wspeek would send it upstream. */
export interface ScriptRequest {
  conn: number;
  method: string;
  target: string;
  url: string;
  headers: HeaderList;
}

/** What a script's onMessage gets: a data message, its payload as the log keeps it (the first --max-payload bytes of `length`). */
export interface ScriptMessage {
  conn: number;
  seq: number;
  from: Side;
  kind: 'text' | 'binary';
  /** A text message's text, when it is UTF-8. */
  text?: string;
  data: Buffer;
  length: number;
  url: string;
}

/**
 * What a hook came to: its result, or why there is none and who decided that (`script`: it threw,
 * rejected or answered something unusable; `proxy`: it ran out of time).
 */
export type HookOutcome<T> = { ok: true; value: T } | { ok: false; error: string; by: By };

/** A script's hooks, as the interception calls them (proxy/script-host.ts); null where the script has none. */
export interface ScriptHooks {
  /** The headers to send upstream instead of `req.headers` (null: those), once the hook is done. */
  handshake: ((req: ScriptRequest) => Promise<HookOutcome<HeaderList | null>>) | null;
  /** What becomes of a data message (null: it goes on as it is): at once when the hook answered at once. */
  message: ((msg: ScriptMessage) => HookOutcome<HookDecision | null> | Promise<HookOutcome<HookDecision | null>>) | null;
}

/** How long a connection closed on purpose gets for both peers to answer the close frames and close TCP. */
export const CLOSE_TIMEOUT_MS = 5000;

/** A held message, by connection and seq. */
interface Held {
  tap: TapControl;
  side: Side;
  index: number;
  record: MessageRecord;
  /** The user's edit, sent instead of it when it is forwarded. */
  edit: { opcode: 1 | 2; payload: Uint8Array } | null;
}

const key = (conn: number, seq: number) => `${conn}:${seq}`;

/**
 * Acting on the conversation: which data messages are held (the intercept filter), and what the
 * user or a script does to them (forward, drop, edit) and to their connections (inject, resend).
 * Two sources decide on a data message: the user's filter first (what it matches is held for the
 * user), then a script's onMessage (what it waits on is held until it answers). Connections are
 * carried passively until something can act on them; then each is switched to the active way
 * (MessageGate), and stays so. Every action is an `action` record.
 */
export class Interception {
  private filter: FilterPredicate | null = null;
  private script: ScriptHooks | null = null;
  /** The data messages the script's onMessage sees (null: all). */
  private scriptFilter: FilterPredicate | null = null;
  private readonly taps = new Map<number, TapControl>();
  /** The taps switched to the active way: only they can hold anything (`summary` counts them alone, as the UI asks at every frame it draws). */
  private readonly carried = new Set<TapControl>();
  private readonly held = new Map<string, Held>();
  /** A script's answers on the messages it held, carried out together once the event loop is done with what came in. */
  private answers: Array<{ h: Held; outcome: HookOutcome<HookDecision | null> }> = [];

  constructor(private readonly records: DecodeQueue) {}

  /** Whether new connections must be carried actively from their first byte. */
  get active(): boolean {
    return this.filter !== null || this.script?.message != null;
  }

  /** Whether upgrade requests wait for a script's onHandshake before they go upstream (see `handshake`). */
  get editsHandshakes(): boolean {
    return this.script?.handshake != null;
  }

  /** A connection's tap, for as long as it is carried. */
  register(tap: TapControl): void {
    this.taps.set(tap.conn, tap);
    if (this.active) this.activate(tap);
  }

  /** The connection is over: its held messages can't go anywhere any more. */
  unregister(conn: number): void {
    const tap = this.taps.get(conn);
    if (tap) this.carried.delete(tap);
    this.taps.delete(conn);
    for (const [k, h] of this.held) {
      if (h.tap.conn !== conn) continue;
      this.held.delete(k);
      this.act(h.tap.conn, h.side, 'dropped', 'proxy', { seq: h.record.seq, error: 'the connection closed while the message was held' });
    }
  }

  /** Data messages the filter matches are held from now on (null: none); live connections switch to the active way. */
  setFilter(filter: FilterPredicate | null): void {
    this.filter = filter;
    if (filter) for (const tap of this.taps.values()) this.activate(tap);
  }

  /** A script decides from now on: on upgrade requests (onHandshake), and on the data messages `filter` matches (onMessage; null: all). */
  useScript(script: ScriptHooks, filter: FilterPredicate | null): void {
    this.script = script;
    this.scriptFilter = filter;
    if (script.message) for (const tap of this.taps.values()) this.activate(tap);
  }

  /**
   * The headers an upgrade request goes upstream with: the script's, when its onHandshake changed
   * them (an `edited` record says what was sent); else `req.headers`, also when the hook failed
   * (a `forwarded` record says why).
   */
  async handshake(req: ScriptRequest): Promise<HeaderList> {
    const onHandshake = this.script?.handshake;
    if (!onHandshake) return req.headers;
    const outcome = await onHandshake(req);
    if (!outcome.ok) {
      this.act(req.conn, 'client', 'forwarded', outcome.by, { target: 'handshake', error: outcome.error });
      return req.headers;
    }
    if (outcome.value === null) return req.headers;
    this.act(req.conn, 'client', 'edited', 'script', { target: 'handshake', headers: outcome.value });
    return outcome.value;
  }

  /** A data message from `side` is complete on an actively carried connection: forward it, or hold it. */
  arrived(tap: TapControl, side: Side, index: number, record: MessageRecord): 'forward' | 'hold' {
    if (this.filter && matches(this.filter, tap, record)) {
      this.held.set(key(tap.conn, record.seq), { tap, side, index, record, edit: null });
      this.act(tap.conn, side, 'held', 'user', { seq: record.seq });
      return 'hold';
    }
    const onMessage = this.script?.message;
    if (!onMessage || (this.scriptFilter && !matches(this.scriptFilter, tap, record))) return 'forward';
    const outcome = onMessage(scriptMessage(tap, record));
    if (!(outcome instanceof Promise)) {
      if (outcome.ok && outcome.value === null) return 'forward';
      if (!outcome.ok) {
        this.act(tap.conn, side, 'forwarded', outcome.by, { seq: record.seq, error: outcome.error });
        return 'forward';
      }
    }
    // Decided later: a drop or a replacement once the gate has taken the rest of the chunk in.
    const h: Held = { tap, side, index, record, edit: null };
    this.held.set(key(tap.conn, record.seq), h);
    if (outcome instanceof Promise) void outcome.then((o) => this.answered(h, o));
    else this.answered(h, outcome);
    return 'hold';
  }

  /** A direction is re-encoded from message `seq` on (see MessageGate). */
  reencoding(conn: number, side: Side, seq: number): void {
    this.act(conn, side, 'reencode', 'proxy', { seq });
  }

  /** Sends a held message on: as it was, or as edited. */
  forward(conn: number, seq: number, by: By): string | null {
    const h = this.held.get(key(conn, seq));
    if (!h) return `message ${seq} of #${conn} is not held`;
    const why = h.tap.resolve(h.side, h.index, h.edit ? { kind: 'replace', ...h.edit } : { kind: 'forward' });
    if (why !== null) return why;
    this.held.delete(key(conn, seq));
    this.act(conn, h.side, 'forwarded', by, { seq, ...(h.edit ? sent(h.edit) : {}) });
    return null;
  }

  /** Every held message on, in each connection's order. */
  forwardAll(by: By): void {
    for (const h of [...this.held.values()]) this.forward(h.tap.conn, h.record.seq, by);
  }

  drop(conn: number, seq: number, by: By): string | null {
    const h = this.held.get(key(conn, seq));
    if (!h) return `message ${seq} of #${conn} is not held`;
    const why = h.tap.resolve(h.side, h.index, { kind: 'drop' });
    if (why !== null) return why;
    this.held.delete(key(conn, seq));
    this.act(conn, h.side, 'dropped', by, { seq });
    return null;
  }

  /** Replaces a held message's content; it stays held until forwarded. */
  edit(conn: number, seq: number, message: OwnMessage, by: By): string | null {
    const h = this.held.get(key(conn, seq));
    if (!h) return `message ${seq} of #${conn} is not held`;
    const why = h.tap.rewritable(h.side, h.index);
    if (why !== null) return why;
    h.edit = message;
    this.act(conn, h.side, 'edited', by, { seq, ...sent(message) });
    return null;
  }

  /** A new message toward `to`, written by wspeek. */
  inject(conn: number, to: Side, message: OwnMessage, by: By): string | null {
    return this.send(conn, to, message, by, 'injected');
  }

  /** Sends message `seq` (`record`) again, the same way, with its payload or `message` instead. */
  resend(record: MessageRecord, by: By, message?: OwnMessage): string | null {
    const payload = message ?? ownMessageOf(record);
    if (typeof payload === 'string') return payload;
    return this.send(record.conn, other(record.from), payload, by, 'resent', record.seq);
  }

  /** Closes a connection on purpose: a close frame with `code` and `reason` to each side, then TCP once both are done (or after a timeout). */
  close(conn: number, code: number, reason: string, by: By): string | null {
    const tap = this.taps.get(conn);
    if (!tap) return `#${conn} is not open`;
    const payload = closePayload(code, reason);
    if (!(payload instanceof Uint8Array)) return payload.error;
    this.activate(tap);
    for (const to of ['server', 'client'] as const) {
      if (!tap.inject(to, 8, payload)) return `#${conn} can't take a close frame toward the ${to} now (its WebSocket is not open, or its framing was lost)`;
      this.act(conn, other(to), 'closed', by, { code, reason });
    }
    tap.closeAfter(CLOSE_TIMEOUT_MS, `closed by ${by === 'user' ? 'the user' : by === 'script' ? 'a script' : 'wspeek'} with ${code}`);
    return null;
  }

  /** Resets both sides of a connection now. */
  reset(conn: number, by: By): string | null {
    const tap = this.taps.get(conn);
    if (!tap) return `#${conn} is not open`;
    for (const to of ['server', 'client'] as const) this.act(conn, other(to), 'reset', by, {});
    tap.reset(`reset by ${by === 'user' ? 'the user' : by === 'script' ? 'a script' : 'wspeek'}`);
    return null;
  }

  /** What is held, over all connections, and what waits behind it. */
  summary(): { messages: number; waitingFrames: number; waitingBytes: number } {
    const sum = { messages: 0, waitingFrames: 0, waitingBytes: 0 };
    for (const tap of this.carried) {
      const h = tap.held();
      sum.messages += h.messages;
      sum.waitingFrames += h.waitingFrames;
      sum.waitingBytes += h.waitingBytes;
    }
    return sum;
  }

  /**
   * A script's answer on a message it held, carried out with every other answer that came in the
   * same turn of the event loop, each connection's together: the messages they release go out in
   * one write (one for each message would cost a system call each).
   */
  private answered(h: Held, outcome: HookOutcome<HookDecision | null>): void {
    if (this.answers.length === 0) setImmediate(() => this.carryOutAnswers());
    this.answers.push({ h, outcome });
  }

  private carryOutAnswers(): void {
    const byTap = new Map<TapControl, typeof this.answers>();
    for (const a of this.answers) {
      const list = byTap.get(a.h.tap);
      if (list) list.push(a);
      else byTap.set(a.h.tap, [a]);
    }
    this.answers = [];
    for (const [tap, answers] of byTap) tap.together(() => {
      for (const a of answers) this.scriptDecided(a.h, a.outcome);
    });
  }

  /** A script's answer on a message it held: carried out, unless the message was decided meanwhile (by the user, at shutdown, or its connection closed). */
  private scriptDecided(h: Held, outcome: HookOutcome<HookDecision | null>): void {
    const conn = h.tap.conn;
    const seq = h.record.seq;
    if (this.held.get(key(conn, seq)) !== h) return;
    if (!outcome.ok) return this.passOn(h, outcome.by, outcome.error);
    const d = outcome.value;
    if (d === null) return this.passOn(h, null);
    const why = d.kind === 'drop' ? this.drop(conn, seq, 'script') : this.edit(conn, seq, d, 'script') ?? this.forward(conn, seq, 'script');
    // What the script asked for can't be done to this message (see MessageGate.rewritable): it goes on as it came.
    if (why !== null) this.passOn(h, 'proxy', why);
  }

  /** A held message goes on as it came; with `by`, a `forwarded` record says who let it go, and why (`error`). */
  private passOn(h: Held, by: By | null, error?: string): void {
    h.tap.resolve(h.side, h.index, { kind: 'forward' });
    this.held.delete(key(h.tap.conn, h.record.seq));
    if (by) this.act(h.tap.conn, h.side, 'forwarded', by, { seq: h.record.seq, ...(error !== undefined ? { error } : {}) });
  }

  private send(conn: number, to: Side, message: OwnMessage, by: By, action: 'injected' | 'resent', seq?: number): string | null {
    const tap = this.taps.get(conn);
    if (!tap) return `#${conn} is not open`;
    this.activate(tap);
    if (!tap.inject(to, message.opcode, message.payload)) return `#${conn} can't take a message toward the ${to} now (its WebSocket is not open, or its framing was lost)`;
    this.act(conn, other(to), action, by, { ...(seq !== undefined ? { seq } : {}), ...sent(message) });
    return null;
  }

  private activate(tap: TapControl): void {
    tap.activate();
    this.carried.add(tap);
  }

  private act(conn: number, from: Side, action: ActionRecord['action'], by: By, fields: Partial<ActionRecord>): void {
    this.records.emit(actionRecord(conn, now(), { from, to: other(from), action, by, ...fields }));
  }
}

/** Whether `filter` matches a data message as it arrives (only its own record is known yet). */
function matches(filter: FilterPredicate, tap: TapControl, record: MessageRecord): boolean {
  return filter(messageSubject({ record, connection: { conn: tap.conn, url: tap.url, upgraded: true }, frames: [], violations: [] }, record));
}

/** A data message as a script's onMessage gets it. */
function scriptMessage(tap: TapControl, record: MessageRecord): ScriptMessage {
  const msg: ScriptMessage = { conn: tap.conn, seq: record.seq, from: record.from, kind: record.kind as 'text' | 'binary', data: recordPayload(record), length: record.length, url: tap.url };
  if (record.text !== undefined) msg.text = record.text;
  return msg;
}

/** What an action record says was sent: text when it is UTF-8, else base64 (as message records do). */
function sent(m: OwnMessage): Partial<ActionRecord> {
  const bytes = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const text = m.opcode === 1 ? decodeUtf8(bytes) : null;
  return text !== null ? { text, length: bytes.length } : { base64: bytes.toString('base64'), length: bytes.length };
}

/** A recorded message's payload as a message to send again; why not, when it was not kept whole. */
function ownMessageOf(r: MessageRecord): OwnMessage | string {
  if (r.truncated || r.incomplete) return `message ${r.seq} was not kept whole (--max-payload), so it can't be sent again as it was`;
  if (r.kind === 'text' || r.kind === 'binary') return { opcode: r.kind === 'text' ? 1 : 2, payload: recordPayload(r) };
  return `message ${r.seq} is a ${r.kind} message: only text and binary messages are sent again`;
}
