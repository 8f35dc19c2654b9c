import { seg, type Line, type Style } from './styled-text.js';
import { wrapLine } from './wrap.js';

/** The detail pane's lines for its width, and where the search's matches are. */
export interface DetailLayout {
  lines: Line[];
  /** The line each match starts on, in order. */
  matches: number[];
}

/**
 * Wraps the detail's lines at word boundaries to `width`, marking every match of `search`
 * (plain text, any case) and the `current` one apart from the others.
 */
export function layoutDetail(content: Line[], width: number, search: string, current: number): DetailLayout {
  const lines: Line[] = [];
  const matches: number[] = [];
  const pattern = search === '' ? null : new RegExp(search.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  for (const line of content) {
    let marked = line;
    const starts: number[] = [];
    if (pattern) {
      const text = line.map((s) => s.text).join('');
      const ranges: Array<[number, number, Style]> = [];
      for (const m of text.matchAll(pattern)) {
        const style = matches.length + starts.length === current ? 'selected' : 'match';
        ranges.push([m.index, m.index + m[0].length, style]);
        starts.push(m.index);
      }
      if (ranges.length) marked = restyle(line, ranges);
    }
    const pieces = wrapLine(marked, width);
    for (const at of starts) {
      let k = pieces.length - 1;
      while (k > 0 && pieces[k]!.start > at) k--;
      matches.push(lines.length + k);
    }
    for (const p of pieces) lines.push(p.line);
  }
  return { lines, matches };
}

/** The line with the characters of each range (ascending, apart) drawn in the range's style. */
function restyle(line: Line, ranges: Array<[number, number, Style]>): Line {
  const out: Line = [];
  let pos = 0;
  for (const s of line) {
    const end = pos + s.text.length;
    let at = pos;
    for (const [from, to, style] of ranges) {
      if (to <= at || from >= end) continue;
      if (from > at) out.push(seg(s.text.slice(at - pos, from - pos), s.style));
      const stop = Math.min(to, end);
      out.push(seg(s.text.slice(Math.max(from, at) - pos, stop - pos), style));
      at = stop;
    }
    if (at < end) out.push(seg(s.text.slice(at - pos), s.style));
    pos = end;
  }
  return out;
}
