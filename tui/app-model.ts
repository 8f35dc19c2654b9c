import { parseFilter, type CompiledFilter, type FilterParseResult } from '../core/filter/filter.js';
import type { LogRecord } from '../core/log/records.js';
import type { StoredRecord } from '../core/store/session-store.js';
import { ConnectionView, type ConnectionRow } from './connection-view.js';
import { viewFileName } from './file-names.js';
import { count, duration, fit, size } from './format.js';
import { helpFooter, helpLines } from './help.js';
import { handshakeDetail, messageDetail } from './message-detail.js';
import { messageHeader, messageRowLine, type TimeMode } from './message-row.js';
import type { MessageRow } from './message-rows.js';
import { MessageView } from './message-view.js';
import { clipboardCopy, payloadFile, payloadOf, type Payload, type PayloadFile } from './payload-export.js';
import { RateMeter } from './rate-meter.js';
import { visible } from './sanitize.js';
import { ViewFraming } from './view-framing.js';
import { lineText, seg, type Line } from './styled-text.js';
import { VIEW_FORMATS, type ViewFormat } from './view-formats.js';

export type Pane = 'connections' | 'messages' | 'detail';
const PANES: Pane[] = ['connections', 'messages', 'detail'];

/** What the status bar says about the session. */
export interface SessionInfo {
  mode: string;
  listen: string | null;
  target: string | null;
  /** The session log being written, or the file being viewed. */
  file: string | null;
}

/** What a key asks the screen to do besides redrawing. */
export type Action = 'none' | 'quit' | Effect;

/** What the screen does for the model beyond drawing. */
export type Effect =
  /** Write this OSC 52 sequence to the terminal as it is. */
  | { kind: 'copy'; sequence: string }
  /** Turn the terminal's mouse reporting on or off. */
  | { kind: 'mouse'; on: boolean }
  | WriteEffect;

/** A file to write with the writer the CLI gave the screen, which reports how it went (`wrote`). */
export type WriteEffect =
  | { kind: 'write-payload'; file: PayloadFile }
  | { kind: 'save-view'; path: string; format: ViewFormat; records: LogRecord[] };

type Input =
  | {
    kind: 'filter' | 'find';
    text: string;
    /** The expression in force when editing began, restored by Esc. */
    before: string;
  }
  /** The save prompt: the file name, the format, and why the last try failed. */
  | { kind: 'save'; text: string; format: ViewFormat; error: string | null };

/**
 * The whole UI's state and behaviour, without a terminal: records in, keys in, lines out.
 * The blessed screen feeds it and draws what it returns.
 */
export class AppModel {
  readonly messages: MessageView;
  readonly connections = new ConnectionView();
  /** What frames the connections, for saving the view as a whole session log. */
  private readonly framing = new ViewFraming();
  private readonly rates = new RateMeter();
  focus: Pane = 'messages';
  timeMode: TimeMode = 'absolute';
  showHelp = false;
  /** The first help line in view. */
  helpTop = 0;
  input: Input | null = null;
  inputError: { message: string; position: number; length: number } | null = null;
  notice: string | null = null;
  /** The UI handles the mouse; off, the terminal's own text selection works (`M`). */
  mouse = true;
  detailTop = 0;
  /** Wall-clock time, for the saved view's default name. */
  clock: () => number = Date.now;
  /** Rows per pane at the last draw, for paging and clicks. */
  private heights: Record<Pane, number> = { connections: 5, messages: 20, detail: 20 };
  /** Index (0 = all connections) of the first connections line at the last draw, for clicks. */
  private connectionsTop = 0;
  private detailLength = 0;
  /** The help's text size at the last draw, for scrolling it. */
  private helpSize = { height: 20, width: 78 };

  /** `filter`: the view filter to start with (the command line's, parsed there). */
  constructor(readonly info: SessionInfo, keep: number, filter: CompiledFilter | null = null) {
    this.messages = new MessageView(keep);
    if (filter) this.messages.setFilter(filter);
  }

  add(stored: StoredRecord): void {
    const r = stored.record;
    this.framing.add(r, this.messages.newestSeq);
    if (r.type === 'session') {
      this.info.mode = r.mode;
      this.info.listen = r.listen;
      this.info.target = r.target;
      return;
    }
    this.connections.add(stored);
    if (r.type === 'message' || r.type === 'error') {
      if (r.type === 'message') this.rates.record(r.from, r.wireLength, r.ts);
      const wasSelected = this.messages.selectedSeq();
      this.messages.add(stored);
      if (this.messages.selectedSeq() !== wasSelected) this.detailTop = 0;
    }
  }

  /** Handles one key press: `ch` is the character typed (if any), `name` blessed's full key name (`up`, `enter`, `C-c`, `S-tab`). */
  key(ch: string | undefined, name: string): Action {
    this.notice = null;
    if (this.showHelp) return this.helpKey(ch, name);
    if (this.input) return this.editInput(ch, name);
    const m = this.messages;
    const page = Math.max(1, this.heights[this.focus] - 1);
    switch (name) {
      case 'q': case 'C-c': return 'quit';
      case 'tab': this.cycleFocus(1); return 'none';
      case 'S-tab': this.cycleFocus(-1); return 'none';
      case 'up': case 'k': this.move(-1); return 'none';
      case 'down': case 'j': this.move(1); return 'none';
      case 'pageup': this.move(-page); return 'none';
      case 'pagedown': this.move(page); return 'none';
      case 'home': case 'g': this.moveTo('first'); return 'none';
      case 'end': case 'S-g': this.moveTo('last'); return 'none';
      case 'enter': this.enter(); return 'none';
      case 'escape':
        if (m.connection !== null) {
          m.setConnection(null);
          this.connections.cursor = 0;
        }
        return 'none';
      case 'space': m.togglePause(); return 'none';
      case 's': return this.startSave();
    }
    switch (ch) {
      case '?': this.showHelp = true; this.helpTop = 0; break;
      case '/': this.startInput('filter', m.filterSource); break;
      case 'F': this.startInput('find', m.searchSource); break;
      case 'n': case 'N':
        if (!m.findNext(ch === 'n' ? 1 : -1)) this.notice = m.searchSource ? `no more matches for ${m.searchSource}` : 'nothing to find: press F first';
        break;
      case 'f': m.toggleFollow(); break;
      case 't': this.timeMode = this.timeMode === 'absolute' ? 'relative' : 'absolute'; break;
      case 'c': m.clear(); break;
      case 'y': return this.copy();
      case 'w': case 'W': return this.writePayload(ch === 'W');
      case 'M':
        this.mouse = !this.mouse;
        this.notice = this.mouse ? 'mouse on: click selects, the wheel scrolls' : 'mouse off: the terminal selects text (M turns it on)';
        return { kind: 'mouse', on: this.mouse };
    }
    return 'none';
  }

  /** How a file the model asked for (`WriteEffect`) was written: where, or why not. */
  wrote(effect: WriteEffect, outcome: { path: string } | { error: string }): void {
    if (effect.kind === 'save-view') {
      if ('error' in outcome) {
        // The prompt stays open with the name as typed, to correct it or Esc.
        if (this.input?.kind === 'save') this.input.error = outcome.error;
        return;
      }
      this.input = null;
      this.notice = `saved ${count(this.messages.length)} messages (${count(effect.records.length)} records) to ${outcome.path}`;
    } else {
      this.notice = 'error' in outcome ? `could not write the payload: ${outcome.error}` : `wrote ${effect.file.what} to ${outcome.path}`;
    }
  }

  /** A click on row `index` (0-based, below the pane's header) of a pane. */
  click(pane: Pane, index: number): void {
    this.focus = pane;
    if (pane === 'messages') this.messages.select(this.messages.top + index);
    else if (pane === 'connections') {
      this.connections.cursor = Math.min(this.connectionsTop + index, this.connections.rows.length);
      this.messages.setConnection(this.connections.selectedConn());
    }
  }

  scroll(pane: Pane, delta: number): void {
    const focus = this.focus;
    this.focus = pane;
    this.move(delta);
    this.focus = focus;
  }

  /**
   * The records of the current view, in order, a whole session log for `wspeek open`: the session
   * record, and each listed connection's connect, tunnel, handshake and end records among its rows'
   * frames, violations and messages (what `--json --filter` writes).
   */
  viewRecords(): LogRecord[] {
    return this.framing.records(this.messages.rows());
  }

  // --- what the screen draws -------------------------------------------------

  connectionLines(height: number, width: number, now: number): Line[] {
    this.heights.connections = height;
    const rows = this.connections.rows;
    const cursor = this.connections.cursor;
    // Index 0 is "all connections"; rows follow. Keep the cursor in view.
    const first = Math.max(0, Math.min(cursor - Math.floor(height / 2), rows.length + 1 - height));
    this.connectionsTop = first;
    const lines: Line[] = [];
    for (let i = first; i < Math.min(rows.length + 1, first + height); i++) {
      const line = i === 0 ? [seg(fit(`all connections (${count(this.connections.total)}, ${this.connections.openCount} open)`, width))] : connectionLine(rows[i - 1]!, width, now);
      lines.push(this.mark(line, i === cursor, this.focus === 'connections'));
    }
    return lines;
  }

  /** The header and the visible window of message rows. */
  messageLines(height: number, width: number): Line[] {
    const rows = Math.max(0, height - 1);
    this.heights.messages = rows;
    const m = this.messages;
    const top = m.window(rows);
    const lines: Line[] = [messageHeader(width, this.timeMode)];
    for (let i = top; i < Math.min(m.length, top + rows); i++) {
      const row = m.row(i)!;
      const line = messageRowLine(row, m.previous(i), this.connectionStart(row), this.timeMode, width);
      const matched = m.searchSource !== '' && m.isMatch(i);
      lines.push(this.mark(matched ? line.map((s) => (s.style === 'plain' ? seg(s.text, 'match') : s)) : line, i === m.cursor, this.focus === 'messages'));
    }
    if (m.length === 0) lines.push([seg(m.total === 0 ? 'waiting for WebSocket messages…' : 'no message matches the view (/ to change the filter, Esc for all connections)', 'dim')]);
    return lines;
  }

  detailLines(height: number, width: number): Line[] {
    this.heights.detail = height;
    const content = this.detailContent(width).flatMap((l) => wrap(l, width));
    this.detailLength = content.length;
    this.detailTop = Math.max(0, Math.min(this.detailTop, content.length - height));
    return content.slice(this.detailTop, this.detailTop + height);
  }

  /** The help overlay's `height` lines: a window on the help wrapped to `width`, and a footer that says how to scroll and close. */
  helpLines(height: number, width: number): Line[] {
    if (height <= 0) return [];
    this.helpSize = { height: Math.max(1, height - 1), width };
    const content = helpLines(width);
    this.helpTop = Math.max(0, Math.min(this.helpTop, content.length - this.helpSize.height));
    const shown = content.slice(this.helpTop, this.helpTop + height - 1);
    const footer = helpFooter(this.helpTop + 1, this.helpTop + shown.length, content.length);
    const blank = Array.from({ length: height - 1 - shown.length }, (): Line => []);
    return [...shown, ...blank, [seg(fit(footer, width), 'dim')]];
  }

  /** Scrolls the help by `delta` lines (the mouse wheel, the keys). */
  scrollHelp(delta: number): void {
    const last = Math.max(0, helpLines(this.helpSize.width).length - this.helpSize.height);
    this.helpTop = Math.max(0, Math.min(this.helpTop + delta, last));
  }

  /** The line under the lists: the filter (or its editor, with the error), find, and the row count. */
  filterBar(width: number): Line {
    if (this.input?.kind === 'save') return this.savePrompt(this.input);
    const m = this.messages;
    const shown = `${count(m.length)} of ${count(m.total)}`;
    if (this.input) {
      const label = this.input.kind === 'filter' ? 'filter: ' : 'find: ';
      const text = this.input.text;
      const e = this.inputError;
      if (!e) return [seg(label, 'key'), seg(visible(text)), seg('█')];
      // The part of the expression the error is about, marked in place; the last good filter stays in force.
      const at = Math.min(e.position, text.length);
      const end = Math.min(at + e.length, text.length);
      return [
        seg(label, 'key'), seg(visible(text.slice(0, at))), seg(visible(text.slice(at, end)) || ' ', 'bad'), seg(visible(text.slice(end))), seg('█'),
        seg(`  ✗ ${visible(e.message)} (at ${e.position + 1})`, 'bad'),
      ];
    }
    const parts: Line = [seg('filter: ', 'key'), seg(m.filterSource ? visible(m.filterSource) : '(none, / to set)', m.filterSource ? 'plain' : 'dim')];
    if (m.connection !== null) parts.push(seg(`  conn #${m.connection} (Esc for all)`, 'warn'));
    if (m.searchSource) parts.push(seg('  find: ', 'key'), seg(visible(m.searchSource), 'match'));
    if (this.notice) parts.push(seg(`  ${visible(this.notice)}`, 'warn'));
    const used = lineText(parts).length;
    parts.push(seg(shown.padStart(Math.max(shown.length + 1, width - used))));
    return parts;
  }

  statusBar(width: number, now: number): Line {
    const i = this.info;
    const up = this.rates.rate('client', now);
    const down = this.rates.rate('server', now);
    const where = [i.mode, i.listen, i.target ? `→ ${visible(i.target)}` : null].filter(Boolean).join(' ');
    const parts: Line = [
      seg(' wspeek ', 'heading'), seg(where),
      seg(' │ '), seg(`conns ${this.connections.openCount}/${this.connections.total}`),
      seg(' │ '), seg(`→ ${up.messages} msg/s ${size(up.bytes)}/s`, 'client'),
      seg('  '), seg(`← ${down.messages} msg/s ${size(down.bytes)}/s`, 'server'),
    ];
    if (i.file) parts.push(seg(' │ '), seg(visible(i.file), 'dim'));
    const state = [this.messages.paused ? 'PAUSED' : null, this.messages.follow ? 'FOLLOW' : null, this.mouse ? null : 'MOUSE OFF'].filter(Boolean).join(' ');
    const used = lineText(parts).length;
    parts.push(seg(`${state}  ? help `.padStart(Math.max(1, width - used)), this.messages.paused ? 'warn' : 'dim'));
    return parts;
  }

  // --- internals -------------------------------------------------------------

  /** While the help shows, keys scroll or close it; C-c still quits. */
  private helpKey(ch: string | undefined, name: string): Action {
    const page = Math.max(1, this.helpSize.height - 1);
    switch (name) {
      case 'C-c': return 'quit';
      case 'q': case 'escape': this.showHelp = false; break;
      case 'up': case 'k': this.scrollHelp(-1); break;
      case 'down': case 'j': this.scrollHelp(1); break;
      case 'pageup': this.scrollHelp(-page); break;
      case 'pagedown': this.scrollHelp(page); break;
      case 'home': case 'g': this.scrollHelp(-Infinity); break;
      case 'end': case 'S-g': this.scrollHelp(Infinity); break;
      default: if (ch === '?') this.showHelp = false;
    }
    return 'none';
  }

  private detailContent(width: number): Line[] {
    if (this.focus === 'connections') {
      const c = this.connections.selectedRow();
      if (c) return handshakeDetail(c);
      return [[seg('All connections. Select one (↑ ↓) to see its handshake; Enter shows only its messages.', 'dim')]];
    }
    const row = this.messages.selected();
    if (!row) return [[seg('Select a message to see its payload, frames and violations.', 'dim')]];
    return messageDetail(row, this.connectionStart(row), width);
  }

  private connectionStart(row: MessageRow): number | null {
    return this.connections.get(row.record.conn)?.startTs ?? null;
  }

  private move(delta: number): void {
    if (this.focus === 'messages') {
      const before = this.messages.selectedSeq();
      this.messages.move(delta);
      if (this.messages.selectedSeq() !== before) this.detailTop = 0;
    } else if (this.focus === 'connections') {
      this.connections.move(delta);
      this.detailTop = 0;
    } else {
      this.detailTop = Math.max(0, Math.min(this.detailTop + delta, this.detailLength - 1));
    }
  }

  private moveTo(where: 'first' | 'last'): void {
    if (this.focus === 'messages') {
      if (where === 'first') this.messages.home();
      else this.messages.end();
    } else if (this.focus === 'connections') this.connections.cursor = where === 'first' ? 0 : this.connections.rows.length;
    else this.detailTop = where === 'first' ? 0 : this.detailLength;
  }

  private enter(): void {
    if (this.focus === 'connections') {
      this.messages.setConnection(this.connections.selectedConn());
      this.focus = 'messages';
    } else if (this.focus === 'messages') this.focus = 'detail';
  }

  private cycleFocus(dir: 1 | -1): void {
    this.focus = PANES[(PANES.indexOf(this.focus) + dir + PANES.length) % PANES.length]!;
    this.detailTop = 0;
  }

  private startInput(kind: 'filter' | 'find', current: string): void {
    this.input = { kind, text: current, before: current };
    this.inputError = null;
  }

  /** Typing in the filter/find line: applied live; an error keeps the last good expression in force. */
  private editInput(ch: string | undefined, name: string): Action {
    const input = this.input!;
    if (input.kind === 'save') return this.editSave(input, ch, name);
    if (name === 'escape') {
      this.apply(input.kind, input.before);
      this.input = null;
      this.inputError = null;
      return 'none';
    }
    if (name === 'enter') {
      if (!this.inputError) this.input = null;
      return 'none';
    }
    if (name === 'C-c') return 'quit';
    const text = edited(input.text, ch, name);
    if (text === null) return 'none';
    input.text = text;
    const r = this.apply(input.kind, input.text);
    this.inputError = r.ok ? null : { message: r.error, position: r.position, length: r.length };
    return 'none';
  }

  /** `s`: the save prompt, with a name from the local time and the first format. */
  private startSave(): Action {
    if (this.messages.length === 0) return this.tell('nothing to save: the view is empty');
    const format = VIEW_FORMATS[0]!;
    this.input = { kind: 'save', text: viewFileName(this.clock(), format.extension), format: format.id, error: null };
    return 'none';
  }

  /** Typing in the save prompt: Tab changes the format, Enter asks for the file, Esc cancels. */
  private editSave(input: Input & { kind: 'save' }, ch: string | undefined, name: string): Action {
    switch (name) {
      case 'escape': this.input = null; return 'none';
      case 'C-c': return 'quit';
      case 'enter': {
        const path = input.text.trim();
        if (path === '') return (input.error = 'type a file name', 'none');
        return { kind: 'save-view', path, format: input.format, records: this.viewRecords() };
      }
      case 'tab': {
        const from = VIEW_FORMATS.findIndex((f) => f.id === input.format);
        const to = VIEW_FORMATS[(from + 1) % VIEW_FORMATS.length]!;
        const old = VIEW_FORMATS[from]!.extension;
        if (input.text.endsWith(old)) input.text = input.text.slice(0, -old.length) + to.extension;
        input.format = to.id;
        return 'none';
      }
    }
    const text = edited(input.text, ch, name);
    if (text !== null) {
      input.text = text;
      input.error = null;
    }
    return 'none';
  }

  /** The line the save prompt takes under the lists. */
  private savePrompt(input: Input & { kind: 'save' }): Line {
    const line: Line = [seg('save view as: ', 'key'), seg(visible(input.text)), seg('█'), seg('  format:', 'dim')];
    for (const f of VIEW_FORMATS) line.push(seg(f.id === input.format ? ` [${f.id}]` : ` ${f.id}`, f.id === input.format ? 'key' : 'dim'));
    line.push(seg('  Tab format · Enter saves · Esc cancels', 'dim'));
    if (input.error) line.push(seg(`  ✗ ${visible(input.error)}`, 'bad'));
    return line;
  }

  /** The selected message's payload, or why there is none: the connections pane shows a handshake, not a message. */
  private selectedPayload(): Payload | string {
    if (this.focus === 'connections') return 'select a message first (Tab to the messages)';
    return payloadOf(this.messages.selected());
  }

  /** `y`: the selected payload to the clipboard, with OSC 52. */
  private copy(): Action {
    const p = this.selectedPayload();
    const copy = typeof p === 'string' ? p : clipboardCopy(p);
    if (typeof copy === 'string') return this.tell(`nothing copied: ${copy}`);
    this.notice = copy.notice;
    return { kind: 'copy', sequence: copy.sequence };
  }

  /** `w` / `W`: the selected payload to a new file, raw or indented JSON. */
  private writePayload(indented: boolean): Action {
    const p = this.selectedPayload();
    const file = typeof p === 'string' ? p : payloadFile(p, indented);
    if (typeof file === 'string') return this.tell(`nothing written: ${file}`);
    return { kind: 'write-payload', file };
  }

  private tell(notice: string): Action {
    this.notice = notice;
    return 'none';
  }

  /** Parses what was typed and, if it is valid, puts it in force. */
  private apply(kind: 'filter' | 'find', text: string): FilterParseResult {
    const r = parseFilter(text);
    if (r.ok) {
      if (kind === 'filter') this.messages.setFilter(r);
      else this.messages.setSearch(r);
    }
    return r;
  }

  /** Marks the cursor's line: inverse in the focused pane, bold elsewhere. */
  private mark(line: Line, selected: boolean, focused: boolean): Line {
    if (!selected) return line;
    return line.map((s) => seg(s.text, focused ? 'selected' : 'selected-unfocused'));
  }
}

/** Text after an editing key (Backspace, Ctrl-U, a printable character); null for any other key. */
function edited(text: string, ch: string | undefined, name: string): string | null {
  if (name === 'backspace') return text.slice(0, -1);
  if (name === 'C-u') return '';
  if (ch && ch >= ' ' && ch !== '\x7f' && name !== 'tab') return text + ch;
  return null;
}

function connectionLine(c: ConnectionRow, width: number, now: number): Line {
  const age = duration((c.endTs ?? now) - c.startTs);
  const ext = [c.protocol, ...c.extensions].filter(Boolean).join(' ');
  const traffic = `${c.messages.client}→ ${c.messages.server}←  ${size(c.bytes.client)}→ ${size(c.bytes.server)}←`;
  // The URL takes what the fixed columns leave.
  const W = { id: 5, client: 17, ext: 14, state: 13, traffic: 27, age: 7 };
  const fixed = W.id + W.client + W.ext + W.state + W.traffic + W.age;
  return [
    seg(fit(`#${c.conn}`, W.id), 'dim'),
    seg(fit(visible(c.url), Math.max(12, width - fixed)) + ' '),
    seg(fit(visible(ext), W.ext), 'key'),
    seg(fit(c.state, W.state), c.open ? 'client' : c.state.startsWith('closed 1000') ? 'dim' : 'warn'),
    seg(fit(traffic, W.traffic)),
    seg(fit(age, W.age), 'dim'),
    seg(fit(visible(c.client), W.client - 1), 'dim'),
  ];
}

/** Splits a line into lines of at most `width` characters, keeping styles. */
function wrap(line: Line, width: number): Line[] {
  if (width <= 0 || lineText(line).length <= width) return [line];
  const out: Line[] = [];
  let current: Line = [];
  let used = 0;
  for (const s of line) {
    let text = s.text;
    while (text.length > 0) {
      const take = Math.min(width - used, text.length);
      current.push(seg(text.slice(0, take), s.style));
      text = text.slice(take);
      used += take;
      if (used === width) {
        out.push(current);
        current = [];
        used = 0;
      }
    }
  }
  if (current.length) out.push(current);
  return out;
}

