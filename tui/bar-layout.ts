import { fit } from './format.js';
import { lineText, seg, type Line } from './styled-text.js';

/** One item of a bar: what it says, and how it gives way when the bar is too narrow. */
export interface BarItem {
  line: Line;
  /** Items with the lowest `keep` give way first: cut to `min` characters if they can be, else left out. Infinity: never. */
  keep: number;
  /** Cuts the item to at most `width` characters (or to a shorter form of it). */
  cut?: (width: number) => Line;
  min?: number;
}

/**
 * A one-line bar `width` wide: the left items separated by `separator`, the right items
 * (separated by two spaces) at the right edge, and at least two spaces between the groups. When
 * they don't all fit, items give way by their `keep`; no item is ever cut but by its own rule, and
 * two items never run together.
 */
export function barLine(left: BarItem[], right: BarItem[], width: number, separator: Line): Line {
  const items = [...left.map((item) => ({ ...item, side: 'left' })), ...right.map((item) => ({ ...item, side: 'right' }))];
  const sepWidth = lineText(separator).length;
  const total = () => {
    const l = items.filter((i) => i.side === 'left');
    const r = items.filter((i) => i.side === 'right');
    const sum = (xs: typeof items, gap: number) => xs.reduce((n, i) => n + lineText(i.line).length, 0) + gap * Math.max(0, xs.length - 1);
    return sum(l, sepWidth) + sum(r, 2) + (l.length && r.length ? 2 : 0);
  };
  const order = [...items].filter((i) => i.keep !== Infinity).sort((a, b) => a.keep - b.keep);
  for (const item of order) {
    const excess = total() - width;
    if (excess <= 0) break;
    const length = lineText(item.line).length;
    if (item.cut && item.min !== undefined && length - excess >= item.min) item.line = item.cut(length - excess);
    else items.splice(items.indexOf(item), 1);
  }
  const join = (xs: typeof items, gap: Line): Line => xs.flatMap((i, k) => (k ? [...gap, ...i.line] : i.line));
  const l = join(items.filter((i) => i.side === 'left'), separator);
  const r = join(items.filter((i) => i.side === 'right'), [seg('  ')]);
  const pad = width - lineText(l).length - lineText(r).length;
  const line = [...l, seg(' '.repeat(Math.max(l.length && r.length ? 2 : 0, pad))), ...r];
  return clip(line, width);
}

/** The line cut at `width` characters (the last one kept an …), for when even the items that never give way don't fit. */
export function clip(line: Line, width: number): Line {
  if (lineText(line).length <= width) return line;
  const out: Line = [];
  let used = 0;
  for (const s of line) {
    if (used + s.text.length < width) {
      out.push(s);
      used += s.text.length;
      continue;
    }
    out.push(seg(fit(s.text, width - used), s.style));
    break;
  }
  return out;
}
