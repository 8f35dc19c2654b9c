import { parseFilter, type FilterError } from '../core/filter/filter.js';
import { ownMessageKind } from '../core/filter/subject.js';
import type { ActionRecord, MessageRecord } from '../core/log/records.js';
import { otherSide, type Side } from '../core/websocket/events.js';
import type { BarItem } from './bar-layout.js';
import { count, size } from './format.js';
import type { InterceptionControl, OutgoingMessage } from './interception-control.js';
import type { ActedMessage, MessageActions } from './message-actions.js';
import { keptOnlyInPart, type MessageRow } from './message-rows.js';
import { editorDocument, readEdited, type EditorDocument } from './payload-editing.js';
import { visible } from './sanitize.js';
import { seg, type Line } from './styled-text.js';
import { typedText } from './typed-text.js';

/** What the user points at when acting: the selected row (with the focus on the messages or the detail) and its connection, or a connection. */
export interface ActTarget {
  row: MessageRow | undefined;
  conn: number | null;
}

/** Why the editor is open, and what to do with what comes back. */
export type EditPurpose =
  /** A held message's new content. */
  | { purpose: 'edit'; conn: number; seq: number; opcode: 1 | 2 }
  /** A new message toward `to`. */
  | { purpose: 'compose'; conn: number; to: Side; opcode: 1 | 2 }
  /** A copy of a message, sent again after editing: a peer's (`record`) or one wspeek sent before (`to`). */
  | { purpose: 'resend'; conn: number; to: Side; opcode: 1 | 2; record: MessageRecord | null };

/** Asks the screen to hand the terminal to the user's editor on `document`, and to give back what it saved (`AppModel.edited`). */
export interface EditEffect {
  kind: 'edit';
  document: EditorDocument;
  /** What the document is, for its header and the notices. */
  about: string;
  task: EditPurpose;
}

/** How the editor session went: the file as saved, or why there is none (the editor failed or exited with an error). */
export type EditOutcome = { file: Buffer } | { error: string };

/** The prompts acting opens on the line under the lists. */
export type ActPrompt =
  | { kind: 'intercept'; text: string; error: FilterError | null }
  | { kind: 'compose'; conn: number; to: Side; as: 'text' | 'binary' }
  | { kind: 'close'; conn: number; field: 'code' | 'reason'; code: string; reason: string; error: string | null }
  | { kind: 'quit'; held: number };

export type ActResult = 'none' | 'quit' | EditEffect;

const SAVED_SESSION = 'nothing to act on: this is a saved session (wspeek open); acting needs the live proxy';

/**
 * Acting on the conversation from the UI: the intercept filter, and what the user does to held
 * messages (forward, drop, edit), to messages (send again, with or without editing a copy) and to
 * connections (compose a message, close, reset). It asks the proxy through an InterceptionControl
 * (null for a saved session, where every key says there is nothing to act on) and the screen for
 * the editor (EditEffect); what was done comes back as action records (MessageActions).
 */
export class Acting {
  prompt: ActPrompt | null = null;
  /** The intercept filter in force ('' when off). */
  interceptSource: string;

  constructor(
    private readonly control: InterceptionControl | null,
    private readonly actions: MessageActions,
    /** Says something on the line under the lists. */
    private readonly tell: (notice: string) => void,
  ) {
    this.interceptSource = control?.initialFilter ?? '';
  }

  /** The keys of acting (i a A d e m r R x X); null for any other key. */
  key(ch: string, target: ActTarget): ActResult | null {
    if (ch.length !== 1 || !'iaAdemrRxX'.includes(ch)) return null;
    const control = this.control;
    if (!control) return this.say(SAVED_SESSION);
    switch (ch) {
      case 'i': this.prompt = { kind: 'intercept', text: this.interceptSource, error: null }; return 'none';
      case 'A': {
        const n = this.actions.held().length;
        control.forwardAll();
        return this.say(n ? `forwarded ${count(n)} held message${n === 1 ? '' : 's'}` : 'nothing is held');
      }
      case 'a': case 'd': case 'e': return this.onHeld(ch, target);
      case 'r': case 'R': return this.sendAgain(ch === 'R', target);
      case 'm': {
        if (target.conn === null) return this.say('compose on which connection? select one of its messages, or the connection');
        const row = target.row?.record;
        const to = row && row.type !== 'error' ? otherSide(row.from) : 'server';
        this.prompt = { kind: 'compose', conn: target.conn, to, as: 'text' };
        return 'none';
      }
      case 'x':
        if (target.conn === null) return this.say('close which connection? select one of its messages, or the connection');
        this.prompt = { kind: 'close', conn: target.conn, field: 'code', code: '1000', reason: '', error: null };
        return 'none';
      default: {
        if (target.conn === null) return this.say('reset which connection? select one of its messages, or the connection');
        const why = control.reset(target.conn);
        return this.say(why ?? `reset #${target.conn}: both sides`);
      }
    }
  }

  /** `q`: quits, unless messages are held, when it asks what becomes of them. */
  quit(): ActResult {
    const held = this.control?.summary().messages ?? 0;
    if (held === 0) return 'quit';
    this.prompt = { kind: 'quit', held };
    return 'none';
  }

  /** A key while a prompt is open. */
  promptKey(ch: string | undefined, name: string): ActResult {
    const p = this.prompt!;
    const control = this.control!;
    if (p.kind === 'quit') {
      if (name === 'escape') this.prompt = null;
      else if (name === 'C-c') return 'quit';
      else if (ch === 'f') {
        control.forwardAll();
        return 'quit';
      } else if (ch === 'd') {
        for (const m of this.actions.held()) control.drop(m.conn, m.seq);
        return 'quit';
      }
      return 'none';
    }
    if (name === 'escape') {
      this.prompt = null;
      return 'none';
    }
    if (name === 'C-c') return 'quit';
    switch (p.kind) {
      case 'intercept': return this.interceptKey(p, ch, name);
      case 'compose': return this.composeKey(p, ch, name);
      case 'close': return this.closeKey(p, ch, name);
    }
  }

  /** What the editor gave back: the task done (or why not), or the editor again with what went wrong. */
  edited(effect: EditEffect, outcome: EditOutcome): ActResult {
    if ('error' in outcome) return this.say(`nothing sent: ${outcome.error}`);
    const r = readEdited(effect.document, outcome.file, effect.about);
    if (!r.ok) return { ...effect, document: r.again };
    const t = effect.task;
    const message: OutgoingMessage = { opcode: t.opcode, payload: r.payload };
    switch (t.purpose) {
      case 'edit': {
        if (!r.changed) return this.say(`message ${t.seq} of #${t.conn} unchanged: still held as it was`);
        const why = this.control!.edit(t.conn, t.seq, message);
        return this.say(why ?? `edited message ${t.seq} of #${t.conn}: held until a forwards it (${size(r.payload.length)})`);
      }
      case 'compose': {
        if (r.payload.length === 0) return this.say('nothing sent: the message was left empty');
        const why = this.control!.inject(t.conn, t.to, message);
        return this.say(why ?? `sent a new message to the ${t.to} on #${t.conn} (${size(r.payload.length)})`);
      }
      case 'resend': {
        if (!r.changed) return this.say('nothing sent: the copy was not changed (r sends the message again as it is)');
        const why = t.record ? this.control!.resend(t.record, message) : this.control!.inject(t.conn, t.to, message);
        return this.say(why ?? `sent the edited copy to the ${t.to} on #${t.conn} (${size(r.payload.length)})`);
      }
    }
  }

  /** The prompt's line under the lists. */
  promptLine(): Line {
    const p = this.prompt!;
    const hint = (text: string) => seg(`  ${text}`, 'dim');
    const choice = (options: string[], chosen: string): Line => options.map((o) => seg(o === chosen ? ` [${o}]` : ` ${o}`, o === chosen ? 'key' : 'dim'));
    switch (p.kind) {
      case 'quit':
        return [seg(`${count(p.held)} message${p.held === 1 ? ' is' : 's are'} held: `, 'warn'), seg('f', 'key'), seg(' forwards them all and quits · '), seg('d', 'key'), seg(' drops them all and quits · '), seg('Esc', 'key'), seg(' stays')];
      case 'intercept': {
        const line: Line = [seg('intercept: ', 'key'), seg(visible(p.text)), seg('█')];
        if (p.error) line.push(seg(`  ✗ ${visible(p.error.error)} (at ${p.error.position + 1})`, 'bad'));
        line.push(hint('holds the data messages it matches · Enter sets it, empty turns it off · Esc cancels'));
        return line;
      }
      case 'compose':
        return [
          seg(`compose on #${p.conn}: to`, 'key'), ...choice(['server', 'client'], p.to), seg(' (Tab) · as', 'key'), ...choice(['text', 'binary'], p.as),
          seg(' (t b)', 'key'), hint('Enter opens the editor · Esc cancels'),
        ];
      case 'close': {
        const field = (name: 'code' | 'reason', text: string): Line => [seg(`${name}: `, 'key'), seg(visible(text)), ...(p.field === name ? [seg('█')] : [])];
        const line: Line = [seg(`close #${p.conn} on purpose, `, 'key'), ...field('code', p.code), seg(' '), ...field('reason', p.reason)];
        if (p.error) line.push(seg(`  ✗ ${visible(p.error)}`, 'bad'));
        line.push(hint('Tab next field · Enter sends a close frame to both sides · Esc cancels'));
        return line;
      }
    }
  }

  /** The status bar's part: what is held, and what waits behind it. */
  statusItems(): BarItem[] {
    if (!this.control) return [];
    const s = this.control.summary();
    if (s.messages === 0 && !this.interceptSource) return [];
    const behind = s.waitingFrames > 0 ? `, ${count(s.waitingFrames)} frame${s.waitingFrames === 1 ? '' : 's'} (${size(s.waitingBytes)}) waiting behind` : '';
    const short = `held ${count(s.messages)}`;
    return [{ line: [seg(short + behind, s.messages > 0 ? 'warn' : 'dim')], keep: 8, min: short.length, cut: () => [seg(short, s.messages > 0 ? 'warn' : 'dim')] }];
  }

  /** `a`, `d`, `e`: the selected message, when it is held. */
  private onHeld(ch: 'a' | 'd' | 'e', target: ActTarget): ActResult {
    const control = this.control!;
    const r = target.row?.record;
    if (!r || r.type !== 'message') return this.say(target.row ? 'not a message held: select a row marked HELD' : 'select a held message first (rows marked HELD; the filter keyword held lists them)');
    const acted = this.actions.of(r.conn, r.seq);
    if (!acted?.marks.held) {
      const any = this.actions.held().length > 0;
      return this.say(`message ${r.seq} of #${r.conn} is not held${any ? ': held rows are marked HELD (the filter keyword held lists them)' : '; i sets the intercept filter that holds messages'}`);
    }
    if (ch === 'a') return this.say(control.forward(r.conn, r.seq) ?? `forwarded message ${r.seq} of #${r.conn}${acted.edit ? ' as edited' : ''}`);
    if (ch === 'd') return this.say(control.drop(r.conn, r.seq) ?? `dropped message ${r.seq} of #${r.conn}: the ${otherSide(r.from)} never gets it`);
    const payload = editable(target.row!, acted);
    if (typeof payload === 'string') return this.say(`can't edit it: ${payload}`);
    const kind = r.kind === 'text' ? 'text' : 'binary';
    const about = `${kind} message ${r.seq} of #${r.conn}, ${r.from} → ${otherSide(r.from)}, held`;
    return { kind: 'edit', document: editorDocument(payload, kind, about), about, task: { purpose: 'edit', conn: r.conn, seq: r.seq, opcode: kind === 'text' ? 1 : 2 } };
  }

  /** `r` sends the selected message again, the same way; `R` after editing a copy. */
  private sendAgain(copy: boolean, target: ActTarget): ActResult {
    const row = target.row;
    if (!row) return this.say('send which message again? select it first');
    const r = row.record;
    if (r.type === 'error') return this.say('an error row is not a message: nothing to send again');
    const payload = editable(row, null);
    if (typeof payload === 'string') return this.say(`can't send it again: ${payload}`);
    const to = otherSide(r.from);
    const kind = r.type === 'action' ? ownMessageKind(r) : r.kind === 'text' ? 'text' : 'binary';
    const opcode = kind === 'text' ? 1 : 2;
    if (copy) {
      const about = `a copy of ${r.type === 'message' ? `message ${r.seq}` : 'a message wspeek sent'} of #${r.conn}, to send to the ${to}`;
      return { kind: 'edit', document: editorDocument(payload, kind, about), about, task: { purpose: 'resend', conn: r.conn, to, opcode, record: r.type === 'message' ? r : null } };
    }
    const why = r.type === 'message' ? this.control!.resend(r) : this.control!.inject(r.conn, to, { opcode, payload });
    return this.say(why ?? `sent ${r.type === 'message' ? `message ${r.seq}` : 'the message'} again to the ${to} on #${r.conn}`);
  }

  private interceptKey(p: ActPrompt & { kind: 'intercept' }, ch: string | undefined, name: string): ActResult {
    if (name === 'enter') {
      const source = p.text.trim();
      const parsed = parseFilter(source);
      if (!parsed.ok) return 'none';
      const why = this.control!.setFilter(source ? parsed : null);
      if (why) return this.say(`intercept filter not set: ${why}`);
      this.prompt = null;
      const held = this.actions.held().length;
      this.interceptSource = source;
      if (source) return this.say(`holding the data messages that match ${source}: a forwards, e edits, d drops`);
      return this.say(held ? `interception off; ${count(held)} message${held === 1 ? ' stays' : 's stay'} held (a, A forward)` : 'interception off');
    }
    const text = typedText(p.text, ch, name);
    if (text === null) return 'none';
    p.text = text;
    const parsed = parseFilter(text);
    p.error = parsed.ok ? null : parsed;
    return 'none';
  }

  private composeKey(p: ActPrompt & { kind: 'compose' }, ch: string | undefined, name: string): ActResult {
    if (name === 'tab' || name === 'S-tab') p.to = otherSide(p.to);
    else if (ch === 's' || ch === 'c') p.to = ch === 's' ? 'server' : 'client';
    else if (ch === 't' || ch === 'b') p.as = ch === 't' ? 'text' : 'binary';
    else if (name === 'enter') {
      this.prompt = null;
      const about = `a new ${p.as} message on #${p.conn}, to the ${p.to}`;
      return { kind: 'edit', document: editorDocument(Buffer.alloc(0), p.as, about), about, task: { purpose: 'compose', conn: p.conn, to: p.to, opcode: p.as === 'text' ? 1 : 2 } };
    }
    return 'none';
  }

  private closeKey(p: ActPrompt & { kind: 'close' }, ch: string | undefined, name: string): ActResult {
    if (name === 'tab' || name === 'S-tab') {
      p.field = p.field === 'code' ? 'reason' : 'code';
      return 'none';
    }
    if (name === 'enter') {
      const code = Number(p.code.trim());
      if (!/^\d+$/.test(p.code.trim())) {
        p.error = 'the code is a number: 1000 normal closure, 1001 going away, 4000–4999 for applications';
        return 'none';
      }
      const why = this.control!.close(p.conn, code, p.reason);
      if (why) {
        p.error = why;
        return 'none';
      }
      this.prompt = null;
      return this.say(`sent a close frame (${code}${p.reason ? ` "${p.reason}"` : ''}) to both sides of #${p.conn}`);
    }
    const text = typedText(p[p.field], ch, name);
    if (text !== null) {
      p[p.field] = text;
      p.error = null;
    }
    return 'none';
  }

  private say(notice: string): 'none' {
    this.tell(notice);
    return 'none';
  }
}

/** The payload to edit or send again: the edit if there is one, else the message's own; or why it has none whole. */
function editable(row: MessageRow, acted: ActedMessage | null): Buffer | string {
  const r = row.record;
  if (acted?.edit) return ownPayload(acted.edit);
  if (row.payloadDropped) return 'its payload was dropped from memory (payload budget); the session log (--save) has it';
  const inPart = keptOnlyInPart(row);
  if (inPart !== null) return inPart;
  if (r.type === 'action') return ownPayload(r);
  if (r.type !== 'message') return 'not a message';
  if (r.kind !== 'text' && r.kind !== 'binary') return `it is a ${r.kind} message: only text and binary messages`;
  if (r.truncated || r.incomplete) return 'only part of it was kept (--max-payload)';
  return r.text !== undefined ? Buffer.from(r.text, 'utf8') : Buffer.from(r.bytes ?? Buffer.from(r.base64 ?? '', 'base64'));
}

function ownPayload(a: ActionRecord): Buffer {
  return a.text !== undefined ? Buffer.from(a.text, 'utf8') : Buffer.from(a.base64 ?? '', 'base64');
}
