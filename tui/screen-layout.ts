import type { Pane } from './app-model.js';

export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

/** Where each pane (with its border) and the two bars under them go on a screen of `cols` × `rows`. */
export type ScreenLayout = Record<Pane | 'filterBar' | 'statusBar', Rect>;

/** From this many columns the detail pane stands beside the messages instead of under them. */
const SIDE_BY_SIDE = 110;
/** The messages pane beside the detail is at least this wide: its columns and some preview. */
const MIN_MESSAGES = 72;
/** What the detail pane beside the messages needs for a 16-byte hex dump line (and its border). */
const DETAIL_HEX16 = 76;

/**
 * The panes for a terminal of `cols` × `rows`: connections on top, then the messages with the
 * detail beside them (wide terminals) or under them, the filter bar and the status bar last.
 * Side by side, the messages get 58% until the detail would be too narrow for a 16-byte hex dump,
 * and never less than MIN_MESSAGES.
 */
export function screenLayout(cols: number, rows: number): ScreenLayout {
  const connHeight = Math.max(4, Math.min(9, Math.floor(rows * 0.25)));
  const listHeight = Math.max(3, rows - connHeight - 2);
  const side = cols >= SIDE_BY_SIDE;
  const msgWidth = side ? Math.max(MIN_MESSAGES, Math.min(cols - DETAIL_HEX16, Math.ceil(cols * 0.58))) : cols;
  const msgHeight = side ? listHeight : Math.max(3, Math.floor(listHeight * 0.55));
  return {
    connections: { top: 0, left: 0, width: cols, height: connHeight },
    messages: { top: connHeight, left: 0, width: msgWidth, height: msgHeight },
    detail: side
      ? { top: connHeight, left: msgWidth, width: cols - msgWidth, height: listHeight }
      : { top: connHeight + msgHeight, left: 0, width: cols, height: listHeight - msgHeight },
    filterBar: { top: rows - 2, left: 0, width: cols, height: 1 },
    statusBar: { top: rows - 1, left: 0, width: cols, height: 1 },
  };
}
