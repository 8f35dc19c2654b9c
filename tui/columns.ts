import { fit } from './format.js';
import { seg, type Line, type Segment } from './styled-text.js';

/** A column of a pane's rows. Its width is its content's: the widest cell drawn, or its label. */
export interface Column {
  /** The header's name for it (also counts towards its width). */
  label?: string;
  align?: 'left' | 'right';
  /**
   * Takes the room the other columns leave, up to its content's width. At most one column is
   * flexible; with a `shrink` rank of its own, the columns ranked below it give way for it to show whole.
   */
  flex?: boolean;
  /**
   * When the pane is too narrow, columns give way in this order (lowest first; columns of the same
   * rank together): cut to `min` (with …) if they have one, else left out. Without it a column
   * always shows whole.
   */
  shrink?: number;
  /** The narrowest a column may be cut to; for the flexible column, the room it needs to be shown at all. */
  min?: number;
  /** How a cell too long for the column is cut (to at most the width); by default at its end, with …. */
  cut?: (text: string, width: number) => string;
}

/** Spaces between two columns. */
const GAP = 1;

/**
 * The width of each column for rows (one cell per column) in a pane `width` wide: each column as
 * wide as its widest cell; empty columns and those left out get 0. When the columns don't fit,
 * they give way by their `shrink` rule; the flexible column gets what is left.
 */
export function columnWidths(columns: Column[], rows: Segment[][], width: number): number[] {
  const widths = columns.map((c, j) => {
    let w = 0;
    for (const cells of rows) w = Math.max(w, cells[j]?.text.length ?? 0);
    return w === 0 ? 0 : Math.max(w, c.label?.length ?? 0);
  });
  const flex = columns.findIndex((c) => c.flex);
  const content = flex >= 0 ? widths[flex]! : 0;
  if (flex >= 0) widths[flex] = content === 0 ? 0 : Math.min(content, columns[flex]!.min ?? 1);
  const used = () => widths.reduce((sum, w) => sum + w, 0) + GAP * Math.max(0, widths.filter((w) => w > 0).length - 1);
  const ranks = [...new Set(columns.flatMap((c, j) => (c.shrink !== undefined && j !== flex ? [c.shrink] : [])))].sort((a, b) => a - b);
  const giveWay = (below: number) => {
    for (const rank of ranks) {
      if (used() <= width || rank >= below) break;
      // Columns of the same rank give way together.
      for (let j = 0; j < columns.length; j++) {
        if (columns[j]!.shrink !== rank || j === flex) continue;
        const min = columns[j]!.min;
        widths[j] = min !== undefined && min < widths[j]! ? Math.max(min, widths[j]! - Math.max(0, used() - width)) : 0;
      }
    }
  };
  giveWay(Infinity);
  // A flexible column with a rank of its own is shown whole before the columns ranked below it.
  if (flex >= 0 && content > 0 && columns[flex]!.shrink !== undefined) {
    widths[flex] = content;
    giveWay(columns[flex]!.shrink!);
  }
  if (flex >= 0 && content > 0) {
    const room = width - (used() - widths[flex]!);
    // Shown when its content fits whole, or its minimum does.
    widths[flex] = room >= Math.min(content, columns[flex]!.min ?? 1) ? Math.min(content, room) : 0;
  }
  return widths;
}

/** One row laid out: each shown cell fitted to its column (cut with … when longer), a space between columns. */
export function columnLine(columns: Column[], widths: number[], cells: Segment[]): Line {
  const line: Line = [];
  for (let j = 0; j < columns.length; j++) {
    const w = widths[j]!;
    if (w === 0) continue;
    if (line.length) line.push(seg(' '.repeat(GAP)));
    const cell = cells[j] ?? seg('');
    const { align, cut } = columns[j]!;
    const text = cell.text.length <= w ? (align === 'right' ? cell.text.padStart(w) : cell.text.padEnd(w)) : cut ? cut(cell.text, w).padEnd(w) : fit(cell.text, w);
    line.push(seg(text, cell.style));
  }
  return line;
}

/** The header: each shown column's label over it. */
export function columnHeader(columns: Column[], widths: number[]): Line {
  return columnLine(columns, widths, columns.map((c) => seg(c.label ?? '', 'heading')));
}
