import { columnLine, type Column } from './columns.js';
import type { ConnectionRow } from './connection-view.js';
import { cutUrl, duration, size } from './format.js';
import { visible } from './sanitize.js';
import { connStyle, seg, type Line, type Segment } from './styled-text.js';

/**
 * The connections pane's columns: #id, URL (it takes the room left, and a cut keeps its path),
 * subprotocol and extensions, state, messages and bytes each way, age, client. When the pane is
 * too narrow the client goes first, then the age, then subprotocol and extensions are cut.
 */
export const CONNECTION_COLUMNS: Column[] = [
  {},
  { flex: true, min: 16, cut: cutUrl },
  { shrink: 3, min: 8 },
  {},
  {},
  {},
  { align: 'right', shrink: 2 },
  { shrink: 1 },
];

/** One connection's cells, one per column of CONNECTION_COLUMNS. */
export function connectionCells(c: ConnectionRow, now: number): Segment[] {
  return [
    seg(`#${c.conn}`, connStyle(c.conn)),
    seg(visible(c.url)),
    seg(visible([c.protocol, ...c.extensions].filter(Boolean).join(' ')), 'key'),
    seg(c.state, c.open ? 'client' : c.state.startsWith('closed 1000') ? 'dim' : 'warn'),
    seg(`→ ${c.messages.client} (${size(c.bytes.client)})`, 'client'),
    seg(`← ${c.messages.server} (${size(c.bytes.server)})`, 'server'),
    seg(duration((c.endTs ?? now) - c.startTs), 'dim'),
    seg(visible(c.client), 'dim'),
  ];
}

/** A connection's cells laid out in the widths of its pane. */
export function connectionLine(widths: number[], cells: Segment[]): Line {
  return columnLine(CONNECTION_COLUMNS, widths, cells);
}
