import { columnLine, type Column } from './columns.js';
import type { ConnectionRow } from './connection-view.js';
import { cutUrl, duration, size } from './format.js';
import { visible } from './sanitize.js';
import { connStyle, seg, type Line, type Segment } from './styled-text.js';

/** The URL column is never narrower than this, nor needs more than this to show the paths. */
const URL_MIN = 16;
const URL_PATHS = 40;

/**
 * The connections pane's columns for these rows' cells: #id, URL (it takes the room left, at
 * least what shows the paths, and a cut keeps the path), subprotocol and extensions, state,
 * messages and bytes (on the wire) each way, age, client. When the pane is too narrow the client
 * goes first, then the age (both also to show the URL whole), then the bytes, and then subprotocol
 * and extensions are cut.
 */
export function connectionColumns(rows: Segment[][]): Column[] {
  let paths = 0;
  for (const cells of rows) {
    const url = cells[1]?.text ?? '';
    const scheme = url.indexOf('://');
    const slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
    // The path, and the … before it.
    paths = Math.max(paths, slash < 0 ? 0 : url.length - slash + 1);
  }
  return [
    {},
    { flex: true, shrink: 2.5, min: Math.max(URL_MIN, Math.min(URL_PATHS, paths)), cut: cutUrl },
    { shrink: 4, min: 8 },
    {},
    { align: 'right' },
    { shrink: 3 },
    { align: 'right' },
    { shrink: 3 },
    { align: 'right', shrink: 2 },
    { shrink: 1 },
  ];
}

/** One connection's cells, one per column of `connectionColumns`. */
export function connectionCells(c: ConnectionRow, now: number): Segment[] {
  return [
    seg(`#${c.conn}`, connStyle(c.conn)),
    seg(visible(c.url)),
    seg(visible([c.protocol, ...c.extensions].filter(Boolean).join(' ')), 'key'),
    seg(c.state, c.open ? 'client' : c.state.startsWith('closed 1000') ? 'dim' : 'warn'),
    seg(`→ ${c.messages.client}`, 'client'),
    seg(`(${wireSize(c.bytes.client)})`, 'client'),
    seg(`← ${c.messages.server}`, 'server'),
    seg(`(${wireSize(c.bytes.server)})`, 'server'),
    seg(duration((c.endTs ?? now) - c.startTs), 'dim'),
    seg(visible(c.client), 'dim'),
  ];
}

/** Bytes on the wire as `size` gives them; `?` when unknown (NaN: messages read from HAR). */
function wireSize(bytes: number): string {
  return Number.isNaN(bytes) ? '?' : size(bytes);
}

/** A connection's cells laid out in its pane's columns. */
export function connectionLine(columns: Column[], widths: number[], cells: Segment[]): Line {
  return columnLine(columns, widths, cells);
}
