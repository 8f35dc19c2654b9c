import { parseFilter, type CompiledFilter, type FilterParseResult } from '../core/filter/filter.js';
import type { LogRecord } from '../core/log/records.js';
import type { StoredRecord } from '../core/store/session-store.js';
import { Acting, type ActTarget, type EditEffect, type EditOutcome } from './acting.js';
import { barLine, clip, type BarItem } from './bar-layout.js';
import { pointClientAt } from './client-hint.js';
import { columnWidths } from './columns.js';
import { connectionCells, connectionColumns, connectionLine } from './connection-row.js';
import { ConnectionView } from './connection-view.js';
import { viewFileName } from './file-names.js';
import { count, cutLeft, cutUrl, dateTime, fit, size } from './format.js';
import { helpFooter, helpLines, wrapText } from './help.js';
import type { InterceptionControl } from './interception-control.js';
import { layoutDetail } from './detail-layout.js';
import { handshakeDetail, messageDetail } from './message-detail.js';
import { messageCells, messageColumns, messageHeader, messageRowLine, type TimeMode } from './message-row.js';
import { MessageActions, type ActedMessage } from './message-actions.js';
import { isOwnMessage, type MessageRow } from './message-rows.js';
import { MessageView } from './message-view.js';
import { clipboardCopy, payloadFile, payloadOf, type Payload, type PayloadFile } from './payload-export.js';
import type { ProtobufChoice } from './protobuf-choice.js';
import { RateMeter } from './rate-meter.js';
import { setupCodeLines, type SetupCodes } from './setup-codes.js';
import { visible } from './sanitize.js';
import { ViewFraming } from './view-framing.js';
import { lineText, seg, type Line } from './styled-text.js';
import { typedText } from './typed-text.js';
import { VIEW_FORMATS, type ViewFormat } from './view-formats.js';
import { wrapLine } from './wrap.js';

export type Pane = 'connections' | 'messages' | 'detail';
const PANES: Pane[] = ['connections', 'messages', 'detail'];
/** Columns left of each list's lines, for the cursor's mark. */
const GUTTER = 1;
const TITLES: Record<Pane, string> = { connections: 'Connections', messages: 'Messages', detail: 'Detail' };

/** What the status bar says about the session. */
export interface SessionInfo {
  mode: string;
  listen: string | null;
  target: string | null;
  /** The session log being written, or the file being viewed. */
  file: string | null;
  /** When the session began (its session record's time), once known. */
  started?: number;
  /** `open`: the mode the session was captured in. */
  captured?: string;
  /** `open` of a packet capture: how far the reading has come (readProgress), null once done. */
  reading?: string | null;
  /** A forward proxy on a non-loopback address: what its set-up QR codes hold (`o`). */
  setup?: SetupCodes;
}

/** What a key asks the screen to do besides redrawing. */
export type Action = 'none' | 'quit' | Effect;

/** What the screen does for the model beyond drawing. */
export type Effect =
  /** Write this OSC 52 sequence to the terminal as it is. */
  | { kind: 'copy'; sequence: string }
  /** Turn the terminal's mouse reporting on or off. */
  | { kind: 'mouse'; on: boolean }
  /** Hand the terminal to the user's editor on a document, and give back what it saved (`edited`). */
  | EditEffect
  | WriteEffect;

/** A file to write with the writer the CLI gave the screen, which reports how it went (`wrote`). */
export type WriteEffect =
  | { kind: 'write-payload'; file: PayloadFile }
  | { kind: 'save-view'; path: string; format: ViewFormat; records: LogRecord[] };

type Input =
  | {
    /** The message filter, the message find, or the search in the detail pane's text. */
    kind: 'filter' | 'find' | 'detail';
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
  /** What wspeek did to each message, from the action records. */
  readonly actions: MessageActions;
  /** The intercept filter and what the user does to the conversation. */
  readonly acting: Acting;
  readonly connections = new ConnectionView();
  /** What frames the connections, for saving the view as a whole session log. */
  private readonly framing = new ViewFraming();
  private readonly rates = new RateMeter();
  focus: Pane = 'messages';
  timeMode: TimeMode = 'absolute';
  showHelp = false;
  /** The set-up QR codes cover the panes (`o`). */
  showSetup = false;
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
  /** The search in the detail pane's text (plain text, any case), and which of its matches is current. */
  detailSearch = '';
  detailMatch = 0;
  /** The detail's matches at the last draw. */
  detailMatches = 0;
  /** Scroll the detail to the current match at the next draw. */
  private detailJump = false;
  /** Rows per pane at the last draw, for paging and clicks. */
  private heights: Record<Pane, number> = { connections: 5, messages: 20, detail: 20 };
  /** The connections pane's index (0 = all connections) drawn on each line at the last draw, for clicks. */
  private connectionsShown: number[] = [];
  private detailLength = 0;
  /** The help's text size at the last draw, for scrolling it. */
  private helpSize = { height: 20, width: 78 };

  /**
   * `filter`: the view filter to start with (the command line's, parsed there). `control`: what
   * acts on the live proxy's conversation; null for a saved session.
   */
  /** `--proto`'s message types, for reading binary messages as one of them (`P`); null without --proto. */
  protobuf: ProtobufChoice | null = null;

  constructor(readonly info: SessionInfo, keep: number, filter: CompiledFilter | null = null, control: InterceptionControl | null = null) {
    this.actions = new MessageActions(keep);
    this.messages = new MessageView(keep, undefined, (conn, seq) => this.actions.of(conn, seq)?.marks ?? null);
    this.acting = new Acting(control, this.actions, (notice) => (this.notice = notice));
    if (filter) this.messages.setFilter(filter);
  }

  add(stored: StoredRecord): void {
    const r = stored.record;
    this.framing.add(r, this.messages.newestSeq);
    if (r.type === 'session') {
      // A saved session stays one: `open` keeps its mode and says how it was captured.
      if (this.info.mode === 'open') this.info.captured = r.mode;
      else this.info.mode = r.mode;
      this.info.started = r.ts;
      this.info.listen = r.listen;
      this.info.target = r.target;
      return;
    }
    this.connections.add(stored);
    const listed = r.type === 'message' || r.type === 'error' || (r.type === 'action' && isOwnMessage(r));
    if (listed) {
      // wireLength is unknown (null) only for messages read from HAR, and an opened file shows no rates.
      if (r.type === 'message') this.rates.record(r.from, r.wireLength ?? 0, r.ts);
      const wasSelected = this.messages.selectedSeq();
      this.messages.add(stored);
      if (r.type === 'message' && r.app) for (const e of r.app) if (e.pair !== undefined) this.messages.answered(r.conn, e.pair);
      if (this.messages.selectedSeq() !== wasSelected) this.selectionChanged();
    }
    if (r.type === 'action') {
      // The message's row is filtered and searched again; a message not listed yet is, when it comes.
      const acted = this.actions.add(r);
      if (acted) {
        acted.row ??= this.messages.findMessage(acted.conn, acted.seq);
        if (acted.row !== undefined) this.messages.retest(acted.row);
      }
    }
  }

  /** Handles one key press: `ch` is the character typed (if any), `name` blessed's full key name (`up`, `enter`, `C-c`, `S-tab`). */
  key(ch: string | undefined, name: string): Action {
    this.notice = null;
    if (this.showHelp) return this.helpKey(ch, name);
    if (this.showSetup) return this.setupKey(name);
    if (this.input) return this.editInput(ch, name);
    if (this.acting.prompt) return this.acting.promptKey(ch, name);
    const m = this.messages;
    const page = Math.max(1, this.heights[this.focus] - 1);
    switch (name) {
      case 'q': case 'C-c': return this.acting.quit();
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
          this.connections.select(0);
        }
        return 'none';
      case 'space': m.togglePause(); return 'none';
      case 's': return this.startSave();
    }
    const acted = ch ? this.acting.key(ch, this.actTarget()) : null;
    if (acted !== null) return acted;
    switch (ch) {
      case '?': this.showHelp = true; this.helpTop = 0; break;
      case 'o':
        if (this.info.setup) this.showSetup = true;
        else this.notice = 'o shows QR codes to set a phone up: a forward proxy listening on a LAN address has them (--listen 0.0.0.0:PORT)';
        break;
      case '/':
        if (this.focus === 'detail') this.startInput('detail', this.detailSearch);
        else this.startInput('filter', m.filterSource);
        break;
      case 'F': this.startInput('find', m.searchSource); break;
      case 'n': case 'N':
        if (this.focus === 'detail' && this.detailSearch) this.nextDetailMatch(ch === 'n' ? 1 : -1);
        else if (!m.findNext(ch === 'n' ? 1 : -1)) this.notice = m.searchSource ? `no more matches for ${m.searchSource}` : 'nothing to find: press F first';
        else this.selectionChanged();
        break;
      case 'f': m.toggleFollow(); break;
      case 't': this.timeMode = this.timeMode === 'absolute' ? 'relative' : 'absolute'; break;
      case 'c': m.clear(); break;
      case 'p': this.jumpToPair(); break;
      case 'P': this.nextProtobufType(); break;
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

  /** What the editor gave back for an EditEffect the model asked for: acted on, or the editor again. */
  edited(effect: EditEffect, outcome: EditOutcome): Action {
    this.notice = null;
    return this.acting.edited(effect, outcome);
  }

  /** A click on row `index` (0-based, below the pane's header) of a pane. */
  click(pane: Pane, index: number): void {
    this.focus = pane;
    if (pane === 'messages') this.messages.select(this.messages.top + index);
    else if (pane === 'connections') {
      const shown = this.connectionsShown[index];
      if (shown === undefined) return;
      this.connections.select(shown);
      this.showConnection();
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
    return this.framing.records(this.messages.rows(), (row) => {
      const r = row.record;
      // A message sent again is a row of its own.
      return r.type === 'message' ? this.actions.of(r.conn, r.seq)?.records.filter((a) => a.action !== 'resent') ?? [] : [];
    });
  }

  // --- what the screen draws -------------------------------------------------

  /** A pane's title: the focused pane's is marked. */
  paneTitle(pane: Pane): string {
    return this.focus === pane ? `▶ ${TITLES[pane]}` : TITLES[pane];
  }

  /**
   * "all connections", then the connections, in columns as wide as what is drawn. While the view
   * follows, the newest connections are in view: under "all connections", or at the cursor.
   */
  connectionLines(height: number, width: number, now: number): Line[] {
    this.heights.connections = height;
    const view = this.connections;
    const rows = view.rows;
    const shown: number[] = [];
    if (view.follow && view.cursor === 0 && rows.length + 1 > height) {
      shown.push(0);
      for (let i = rows.length - height + 2; i <= rows.length; i++) shown.push(i);
    } else {
      // Index 0 is "all connections"; rows follow. Keep the cursor in view.
      const first = Math.max(0, Math.min(view.cursor - Math.floor(height / 2), rows.length + 1 - height));
      for (let i = first; i < Math.min(rows.length + 1, first + height); i++) shown.push(i);
    }
    this.connectionsShown = shown;
    const inner = width - GUTTER;
    const cells = shown.map((i) => (i === 0 ? [] : connectionCells(rows[i - 1]!, now)));
    const columns = connectionColumns(cells);
    const widths = columnWidths(columns, cells, inner);
    return shown.map((i, k) => {
      const line = i === 0 ? [seg(fit(`all connections (${count(view.total)}, ${view.openCount} open)`, inner))] : connectionLine(columns, widths, cells[k]!);
      return this.mark(line, i === view.cursor, 'connections');
    });
  }

  /** The header and the visible window of message rows, in columns as wide as what is drawn. */
  messageLines(height: number, width: number): Line[] {
    const rows = Math.max(0, height - 1);
    this.heights.messages = rows;
    const m = this.messages;
    const top = m.window(rows);
    const inner = width - GUTTER;
    const drawn: MessageRow[] = [];
    for (let i = top; i < Math.min(m.length, top + rows); i++) drawn.push(m.row(i)!);
    const cells = drawn.map((row, k) => messageCells(row, k === 0 ? m.previous(top) : drawn[k - 1], this.connectionStart(row), this.timeMode, m.connection === null, this.actedOn(row)));
    const widths = columnWidths(messageColumns(this.timeMode), cells, inner);
    const lines: Line[] = [[seg(' '.repeat(GUTTER)), ...messageHeader(this.timeMode, widths)]];
    cells.forEach((c, k) => {
      const i = top + k;
      const line = messageRowLine(this.timeMode, widths, c);
      const matched = m.searchSource !== '' && m.isMatch(i);
      lines.push(this.mark(matched ? line.map((s) => (s.style === 'plain' ? seg(s.text, 'match') : s)) : line, i === m.cursor, 'messages'));
    });
    if (m.length === 0) lines.push(...this.emptyMessages().flatMap((l) => wrapLine(l, inner).map((w) => [seg(' '.repeat(GUTTER)), ...w.line])));
    return lines;
  }

  /** The selected message or connection, wrapped at words to the width, with the detail search's matches marked. */
  detailLines(height: number, width: number): Line[] {
    this.heights.detail = height;
    const { lines, matches } = layoutDetail(this.detailContent(width), width, this.detailSearch, this.detailMatch);
    this.detailMatches = matches.length;
    if (this.detailMatch >= matches.length) this.detailMatch = Math.max(0, matches.length - 1);
    if (this.detailJump) {
      this.detailJump = false;
      const at = matches[this.detailMatch];
      // The match in view, with a line of what comes before it.
      if (at !== undefined && (at < this.detailTop || at >= this.detailTop + height)) this.detailTop = Math.max(0, at - 1);
    }
    this.detailLength = lines.length;
    this.detailTop = Math.max(0, Math.min(this.detailTop, lines.length - height));
    return lines.slice(this.detailTop, this.detailTop + height);
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

  /** The set-up overlay's `height` lines of `width`: the QR codes centred, or why they don't fit, and how to close it. */
  setupLines(height: number, width: number): Line[] {
    if (height <= 0 || !this.info.setup) return [];
    const footer = 'any key closes';
    const text = setupCodeLines(this.info.setup, width, height - 1);
    if ('tooSmall' in text) {
      const said = wrapText(text.tooSmall, width).slice(0, height - 1).map((t): Line => [seg(t, 'warn')]);
      const blank = Array.from({ length: height - 1 - said.length }, (): Line => []);
      return [...said, ...blank, [seg(fit(footer, width), 'dim')]];
    }
    const codes = text.lines;
    const margin = ' '.repeat(Math.max(0, Math.floor((width - Math.max(...codes.map((l) => l.length))) / 2)));
    const blank = Array.from({ length: height - 1 - codes.length }, (): Line => []);
    return [...codes.map((l): Line => [seg(margin + l)]), ...blank, [seg(fit(footer, width), 'dim')]];
  }

  /** Scrolls the help by `delta` lines (the mouse wheel, the keys). */
  scrollHelp(delta: number): void {
    const last = Math.max(0, helpLines(this.helpSize.width).length - this.helpSize.height);
    this.helpTop = Math.max(0, Math.min(this.helpTop + delta, last));
  }

  /** The line under the lists: the filter (or its editor, with the error), find, the detail search, notices, and the row count. */
  filterBar(width: number): Line {
    if (this.input?.kind === 'save') return clip(this.savePrompt(this.input), width);
    if (this.acting.prompt) return clip(this.acting.promptLine(), width);
    const m = this.messages;
    if (this.input) {
      const label = { filter: 'filter: ', find: 'find: ', detail: 'search the detail: ' }[this.input.kind];
      const text = this.input.text;
      const e = this.inputError;
      if (!e) return clip([seg(label, 'key'), seg(visible(text)), seg('█'), ...this.matchCount(this.input.kind)], width);
      // The part of the expression the error is about, marked in place; the last good filter stays in force.
      const at = Math.min(e.position, text.length);
      const end = Math.min(at + e.length, text.length);
      return clip([
        seg(label, 'key'), seg(visible(text.slice(0, at))), seg(visible(text.slice(at, end)) || ' ', 'bad'), seg(visible(text.slice(end))), seg('█'),
        seg(`  ✗ ${visible(e.message)} (at ${e.position + 1})`, 'bad'),
      ], width);
    }
    const cutText = (prefix: Line, text: string, style: 'plain' | 'match' | 'warn') => (w: number): Line => {
      const room = w - lineText(prefix).length;
      return [...prefix, seg(fit(text, room), style)];
    };
    const filter = m.filterSource ? visible(m.filterSource) : '';
    const left: BarItem[] = [{
      line: [seg('filter: ', 'key'), seg(filter || '(none, / to set)', filter ? 'plain' : 'dim')], keep: 4, min: 16,
      cut: filter ? cutText([seg('filter: ', 'key')], filter, 'plain') : undefined,
    }];
    if (m.connection !== null) left.push({ line: [seg(`conn #${m.connection} (Esc for all)`, 'warn')], keep: 5 });
    const intercept = this.acting.interceptSource ? visible(this.acting.interceptSource) : '';
    if (intercept) left.push({ line: [seg('intercept: ', 'key'), seg(intercept, 'warn')], keep: 7, min: 16, cut: cutText([seg('intercept: ', 'key')], intercept, 'warn') });
    if (m.searchSource) {
      const find = visible(m.searchSource);
      left.push({ line: [seg('find: ', 'key'), seg(find, 'match'), ...this.matchCount('find')], keep: 3, min: 12, cut: cutText([seg('find: ', 'key')], find, 'match') });
    }
    if (this.detailSearch) {
      const search = visible(this.detailSearch);
      left.push({ line: [seg('detail: ', 'key'), seg(search, 'match'), ...this.matchCount('detail')], keep: 2, min: 14, cut: cutText([seg('detail: ', 'key')], search, 'match') });
    }
    if (this.notice) {
      const notice = visible(this.notice);
      left.push({ line: [seg(notice, 'warn')], keep: 6, min: 20, cut: (w) => [seg(fit(notice, w), 'warn')] });
    }
    return barLine(left, [{ line: [seg(`${count(m.length)} of ${count(m.total)}`)], keep: Infinity }], width, [seg('  ')]);
  }

  /**
   * The status bar: where wspeek listens and forwards to, connections, the rates of the last
   * second, the session log, follow and pause, and how to get help; for a saved session, the file,
   * when it was captured and how much it holds. Items give way whole when the bar is too narrow.
   */
  statusBar(width: number, now: number): Line {
    const i = this.info;
    const m = this.messages;
    const left: BarItem[] = [];
    const right: BarItem[] = [];
    if (i.mode === 'open') {
      if (i.file) {
        const file = visible(i.file);
        left.push({ line: [seg(`open ${file}`)], keep: 6, min: 16, cut: (w) => [seg(`open ${cutLeft(file, w - 5)}`)] });
      }
      if (i.reading) left.push({ line: [seg(i.reading, 'warn')], keep: 8, min: 20, cut: (w) => [seg(fit(i.reading!, w), 'warn')] });
      if (i.started !== undefined) left.push({ line: [seg(`captured ${dateTime(i.started)}`)], keep: 7 });
      const how = [i.captured, i.listen, i.target ? `→ ${visible(i.target)}` : null].filter(Boolean).join(' ');
      if (how) left.push({ line: [seg(how, 'dim')], keep: 2, min: 12, cut: (w) => [seg(fit(how, w), 'dim')] });
      left.push({ line: [seg(`${plural(this.connections.total, 'connection')}, ${plural(m.total, 'message')}`)], keep: 3 });
    } else {
      left.push({ line: [seg([i.mode, i.listen].filter(Boolean).join(' '))], keep: 3 });
      if (i.target) {
        const target = visible(i.target);
        left.push({ line: [seg(`→ ${target}`)], keep: 2, min: 14, cut: (w) => [seg(`→ ${cutUrl(target, w - 2)}`)] });
      }
      left.push({ line: [seg(`conns ${this.connections.openCount}/${this.connections.total}`)], keep: 7 });
      left.push(...this.acting.statusItems());
      const up = this.rates.rate('client', now);
      const down = this.rates.rate('server', now);
      // Too narrow for the bytes: the message rates alone.
      const short: Line = [seg(`→ ${up.messages} msg/s`, 'client'), seg('  '), seg(`← ${down.messages} msg/s`, 'server')];
      left.push({
        line: [seg(`→ ${up.messages} msg/s ${size(up.bytes)}/s`, 'client'), seg('  '), seg(`← ${down.messages} msg/s ${size(down.bytes)}/s`, 'server')],
        keep: 4, min: lineText(short).length, cut: () => short,
      });
      if (i.file) {
        const file = visible(i.file);
        left.push({ line: [seg(file, 'dim')], keep: 1, min: 12, cut: (w) => [seg(cutLeft(file, w), 'dim')] });
      }
      if (m.follow) right.push({ line: [seg('FOLLOW', 'dim')], keep: 6 });
    }
    if (m.paused) right.unshift({ line: [seg('PAUSED', 'warn')], keep: 6 });
    if (!this.mouse) right.push({ line: [seg('MOUSE OFF', 'warn')], keep: 6 });
    right.push({ line: [seg('? help ', 'dim')], keep: Infinity });
    return [seg(' wspeek ', 'heading'), ...barLine(left, right, width - 8, [seg(' │ ')])];
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

  /** While the set-up codes show, any key closes them; C-c still quits. */
  private setupKey(name: string): Action {
    if (name === 'C-c') return 'quit';
    this.showSetup = false;
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
    const lines = messageDetail(row, this.connectionStart(row), width, this.actedOn(row));
    return this.protobuf && row.record.type === 'message' ? [...lines, ...this.protobuf.detailLines(row.record)] : lines;
  }

  /** `P`: the selected binary message's direction read as the .proto's next message type (or none again). */
  private nextProtobufType(): void {
    const r = this.messages.selected()?.record;
    if (!this.protobuf) this.notice = 'P reads binary messages as a Protobuf message type: give the .proto with --proto FILE';
    else if (r?.type !== 'message' || r.kind !== 'binary') this.notice = 'P reads binary messages as a Protobuf message type: select one';
    else {
      const type = this.protobuf.next(r.conn, r.from);
      const way = `#${r.conn} ${r.from === 'client' ? 'client → server' : 'client ← server'}`;
      this.notice = type === null ? `${way}: no Protobuf type (P: the first again)` : `${way}: binary messages read as ${type} in the detail (P: the next type)`;
    }
  }

  /** What the messages pane says while it has no rows: how to get traffic, or why none shows. */
  private emptyMessages(): Line[] {
    const m = this.messages;
    const i = this.info;
    if (m.total > 0) return [[seg('no message matches the view (/ to change the filter, Esc for all connections)', 'dim')]];
    if (i.mode === 'open') return [[seg(`no messages match: ${i.file ? visible(i.file) : 'the session'} holds no WebSocket messages`, 'dim')]];
    const waiting: Line = [seg('waiting for WebSocket messages…', 'dim')];
    // Until the first message, a reverse proxy's user is told where to point the client.
    if (m.stored === 0 && i.mode === 'reverse' && i.listen && i.target) return [waiting, [seg(visible(pointClientAt(i.listen, i.target)), 'key')]];
    return [waiting];
  }

  /** `match k of n` (or `n matches` off them) for the message find or the detail search. */
  private matchCount(kind: Input['kind']): Line {
    if (kind === 'filter') return [];
    if (kind === 'find') {
      const m = this.messages;
      if (!m.searchSource) return [];
      const k = m.matchRank();
      return [seg(k ? `  match ${count(k)} of ${count(m.matchCount)}` : `  ${count(m.matchCount)} match${m.matchCount === 1 ? '' : 'es'}`, 'dim')];
    }
    if (!this.detailSearch) return [];
    return [seg(this.detailMatches ? `  match ${this.detailMatch + 1} of ${this.detailMatches}` : '  no match', 'dim')];
  }

  /** What wspeek did to a row's message, if anything. */
  private actedOn(row: MessageRow): ActedMessage | undefined {
    const r = row.record;
    return r.type === 'message' ? this.actions.of(r.conn, r.seq) : undefined;
  }

  /** What acting applies to: the selected row (unless the connections pane has the focus), and the connection pointed at. */
  private actTarget(): ActTarget {
    if (this.focus === 'connections') return { row: undefined, conn: this.connections.selectedConn() };
    const row = this.messages.selected();
    return { row, conn: row?.record.conn ?? this.messages.connection };
  }

  private connectionStart(row: MessageRow): number | null {
    return this.connections.get(row.record.conn)?.startTs ?? null;
  }

  /** `p`: from a reply to its request, from a request to its first reply (see MessageView.pairedRow). */
  private jumpToPair(): void {
    const m = this.messages;
    const target = m.pairedRow();
    if (target === 'none') this.notice = 'p jumps between a request and its reply: this message is neither';
    else if (target === 'gone') this.notice = 'its pair is not in the list (dropped from memory, or not seen yet)';
    else if (!m.selectRow(target)) this.notice = `its pair (row ${target}) is hidden by the filter or the connection shown`;
    else this.selectionChanged();
  }

  /** A new message is selected: its detail shows from the top, its first match current. */
  private selectionChanged(): void {
    this.detailTop = 0;
    this.detailMatch = 0;
  }

  private nextDetailMatch(dir: 1 | -1): void {
    const next = this.detailMatch + dir;
    if (next < 0 || next >= this.detailMatches) {
      this.notice = `no more matches for ${this.detailSearch}`;
      return;
    }
    this.detailMatch = next;
    this.detailJump = true;
  }

  private move(delta: number): void {
    if (this.focus === 'messages') {
      const before = this.messages.selectedSeq();
      this.messages.move(delta);
      if (this.messages.selectedSeq() !== before) this.selectionChanged();
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
    } else if (this.focus === 'connections') this.connections.select(where === 'first' ? 0 : this.connections.rows.length);
    else this.detailTop = where === 'first' ? 0 : this.detailLength;
  }

  private enter(): void {
    if (this.focus === 'connections') {
      this.showConnection();
      this.focus = 'messages';
    } else if (this.focus === 'messages') this.focus = 'detail';
  }

  /** Narrows the message list to the connection at the cursor (or shows all), and says so. */
  private showConnection(): void {
    const conn = this.connections.selectedConn();
    this.messages.setConnection(conn);
    if (conn !== null) {
      this.connections.follow = false;
      this.notice = `showing only #${conn}'s messages; Esc for all`;
    }
  }

  private cycleFocus(dir: 1 | -1): void {
    this.focus = PANES[(PANES.indexOf(this.focus) + dir + PANES.length) % PANES.length]!;
    this.detailTop = 0;
  }

  private startInput(kind: 'filter' | 'find' | 'detail', current: string): void {
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
      if (input.kind === 'detail' && this.detailSearch && this.detailMatches === 0) this.notice = `no match for ${this.detailSearch} in the detail`;
      return 'none';
    }
    if (name === 'C-c') return 'quit';
    const text = typedText(input.text, ch, name);
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
    const text = typedText(input.text, ch, name);
    if (text !== null) {
      input.text = text;
      input.error = null;
    }
    return 'none';
  }

  /** The line the save prompt takes under the lists. */
  private savePrompt(input: Input & { kind: 'save' }): Line {
    // The error first: on a narrow screen the hints are what is cut.
    const line: Line = [seg('save view as: ', 'key'), seg(visible(input.text)), seg('█')];
    if (input.error) line.push(seg(`  ✗ ${visible(input.error)}`, 'bad'));
    line.push(seg('  format:', 'dim'));
    for (const f of VIEW_FORMATS) line.push(seg(f.id === input.format ? ` [${f.id}]` : ` ${f.id}`, f.id === input.format ? 'key' : 'dim'));
    line.push(seg('  Tab format · Enter saves · Esc cancels', 'dim'));
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

  /** Parses what was typed and, if it is valid, puts it in force. The detail search is plain text: always valid. */
  private apply(kind: Input['kind'], text: string): FilterParseResult | { ok: true } {
    if (kind === 'detail') {
      this.detailSearch = text;
      this.detailMatch = 0;
      this.detailJump = true;
      return { ok: true };
    }
    const r = parseFilter(text);
    if (r.ok) {
      if (kind === 'filter') this.messages.setFilter(r);
      else this.messages.setSearch(r);
    }
    return r;
  }

  /** Puts a list's line behind its gutter; the cursor's line is marked there (▶ in the focused pane, ▷ elsewhere) and drawn inverse (underlined elsewhere). */
  private mark(line: Line, selected: boolean, pane: Pane): Line {
    if (!selected) return [seg(' '.repeat(GUTTER)), ...line];
    const focused = this.focus === pane;
    const style = focused ? 'selected' : 'selected-unfocused';
    return [seg(focused ? '▶' : '▷', style), ...line.map((s) => seg(s.text, style))];
  }
}

/** `1 message`, `2,048 messages`. */
function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}
