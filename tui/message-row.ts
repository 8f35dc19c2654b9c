import { closeCodeName } from '../core/websocket/close-codes.js';
import { ownMessageKind } from '../core/filter/subject.js';
import { recordPayloadPrefix, type ActionRecord, type MessageRecord } from '../core/log/records.js';
import { appLabel, appPreview, isHeartbeat } from './app-summary.js';
import { columnHeader, columnLine, type Column } from './columns.js';
import { clockTime, duration, size } from './format.js';
import type { ActedMessage } from './message-actions.js';
import type { MessageRow } from './message-rows.js';
import { visible } from './sanitize.js';
import { connStyle, seg, type Line, type Segment } from './styled-text.js';

export type TimeMode = 'absolute' | 'relative';

/**
 * The messages pane's columns: time, Δ since the previous row, #conn (its cells are empty, so the
 * column hides, when the list shows one connection), direction, kind, length, wire length (when
 * compressed), flags, what wspeek did (HELD, dropped, edited, injected…; hidden while no row drawn
 * has one), the application protocol (hidden while no row drawn has one), and the payload preview
 * (what the protocol says, when one reads the message), which takes the rest. When the pane is too
 * narrow, the wire length goes first, then Δ and the protocol, #conn and time.
 */
export function messageColumns(mode: TimeMode): Column[] {
  return COLUMNS[mode];
}

function columns(time: string): Column[] {
  return [
    { label: time, shrink: 4 },
    { label: 'Δ', shrink: 2 },
    { label: 'conn', shrink: 3 },
    {},
    { label: 'kind' },
    { label: 'length', align: 'right' },
    { label: 'wire', align: 'right', shrink: 1 },
    {},
    {},
    { label: 'proto', shrink: 2 },
    { label: 'payload', flex: true, min: 20 },
  ];
}

const COLUMNS: Record<TimeMode, Column[]> = { absolute: columns('time'), relative: columns('since open') };

/** The header line of the messages pane, for the widths the rows were laid out with. */
export function messageHeader(mode: TimeMode, widths: number[]): Line {
  return columnHeader(messageColumns(mode), widths);
}

/**
 * One message's cells, one per column of `messageColumns`: time, Δ since the previous row, #conn
 * (when `showConn`, in the connection's colour), direction glyph, kind (close with its code),
 * length and wire length (when compressed) as `size` gives them, flags (z compressed,
 * ! violation, … truncated), what wspeek did to it (`acted`) and a one-line preview with every
 * control character made visible.
 */
export function messageCells(
  row: MessageRow, previous: MessageRow | undefined, connStart: number | null, mode: TimeMode, showConn: boolean, acted?: ActedMessage,
): Segment[] {
  const m = row.record;
  const time = mode === 'absolute' ? clockTime(m.ts) : `+${duration(m.ts - (connStart ?? m.ts))}`;
  const delta = previous ? `+${duration(m.ts - previous.record.ts)}` : '';
  const conn = showConn ? seg(`#${m.conn}`, connStyle(m.conn)) : seg('');
  if (m.type === 'error') {
    // wspeek's own error, where it happened: no direction, kind `error`, where and what happened as the preview.
    return [seg(time, 'dim'), seg(delta, 'dim'), conn, seg('!', 'bad'), seg('error', 'bad'), seg(''), seg(''), seg(''), seg(''), seg(''), seg(`${m.where}: ${visible(m.detail)}`, 'bad')];
  }
  if (m.type === 'action') {
    // A message wspeek sent itself: one uncompressed frame, no flags.
    const side = m.from === 'client' ? 'client' : 'server';
    return [
      seg(time, 'dim'), seg(delta, 'dim'), conn, seg(m.from === 'client' ? '→' : '←', side), seg(ownMessageKind(m), side), seg(size(m.length ?? 0)), seg(''), seg(''),
      seg(m.action === 'resent' ? 'resent' : 'injected', 'key'), seg(''), seg(ownPayloadPreview(m)),
    ];
  }
  const side = m.from === 'client' ? 'client' : 'server';
  const kind = m.kind === 'close' && m.close?.code != null ? `close ${m.close.code}` : m.kind;
  const flags = `${m.compressed ? 'z' : ' '}${row.violations.length ? '!' : ' '}${m.truncated || m.incomplete ? '…' : ''}`.trimEnd();
  const heartbeat = isHeartbeat(m.app);
  return [
    seg(time, 'dim'),
    seg(delta, 'dim'),
    conn,
    seg(m.from === 'client' ? '→' : '←', side),
    seg(kind, heartbeat ? 'dim' : side),
    seg(size(m.length)),
    // A compressed message's wire length, `?` when unknown (null).
    seg(m.compressed ? (m.wireLength === null ? '?' : size(m.wireLength)) : '', 'dim'),
    seg(flags, row.violations.length ? 'bad' : 'dim'),
    acted ? actedMark(acted) : seg(''),
    m.app ? seg(appLabel(m.app), heartbeat ? 'dim' : 'key') : seg(''),
    m.app ? seg(appPreview(m.app), heartbeat ? 'dim' : 'plain') : seg(payloadPreview(m)),
  ];
}

/** What wspeek did to a message, in a word: what matters most first (held, then dropped, then edited). */
export function actedMark(acted: ActedMessage): Segment {
  const { held, dropped, edited } = acted.marks;
  if (held) return seg(edited ? 'HELD edited' : 'HELD', 'warn');
  if (dropped) return seg('dropped', 'bad');
  if (edited) return seg('edited', 'key');
  const did = (kind: ActionRecord['action']) => acted.records.some((a) => a.action === kind);
  if (did('reencode')) return seg('re-encoded', 'dim');
  if (did('resent')) return seg('sent again', 'dim');
  return seg('forwarded', 'dim');
}

/** A one-line, terminal-safe preview of what a message of wspeek's own carried. */
function ownPayloadPreview(a: ActionRecord): string {
  if (a.text !== undefined) return visible(a.text.length > 400 ? a.text.slice(0, 400) : a.text);
  const bytes = Buffer.from((a.base64 ?? '').slice(0, 64), 'base64').subarray(0, 48);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** A row's cells laid out in the widths of its pane. */
export function messageRowLine(mode: TimeMode, widths: number[], cells: Segment[]): Line {
  return columnLine(messageColumns(mode), widths, cells);
}

/** A one-line, terminal-safe preview of a message's payload. */
export function payloadPreview(m: MessageRecord): string {
  if (m.close) {
    if (m.close.code === null) return '(no status code)';
    return `${closeCodeName(m.close.code)}${m.close.reason ? ` "${visible(m.close.reason)}"` : ''}`;
  }
  if (m.text !== undefined) return visible(m.text.length > 400 ? m.text.slice(0, 400) : m.text);
  const bytes = recordPayloadPrefix(m, 48);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
