import { seg, type Line } from './styled-text.js';

/** A piece of a wrapped line, and where its text starts in the line it came from. */
export interface Wrapped {
  line: Line;
  start: number;
}

/**
 * Splits a line into lines of at most `width` characters, keeping styles: at the last blank that
 * fits (the blanks at a break are dropped), or in the middle of a word only when the word alone is
 * longer than the width. A line's leading indentation is never a break, and the lines it continues
 * on are indented as much (up to half the width), so indented JSON stays readable.
 */
export function wrapLine(line: Line, width: number): Wrapped[] {
  const text = line.map((s) => s.text).join('');
  if (width <= 0 || text.length <= width) return [{ line, start: 0 }];
  const out: Wrapped[] = [];
  let lead = 0;
  while (lead < text.length && text[lead] === ' ') lead++;
  const hang = lead <= width / 2 ? lead : 0;
  const piece = (from: number, to: number): Wrapped => ({ line: out.length && hang ? [seg(' '.repeat(hang)), ...slice(line, from, to)] : slice(line, from, to), start: from });
  let at = 0;
  while (at < text.length) {
    const room = out.length ? width - hang : width;
    if (text.length - at <= room) {
      out.push(piece(at, text.length));
      break;
    }
    // The last blank within reach, past the indentation this piece starts with.
    let indent = at;
    while (indent < text.length && text[indent] === ' ') indent++;
    let end = -1;
    for (let i = at + room; i > indent; i--) {
      if (text[i] === ' ') {
        end = i;
        break;
      }
    }
    let next: number;
    if (end < 0) {
      end = at + room;
      next = end;
    } else {
      next = end;
      while (next < text.length && text[next] === ' ') next++;
      while (end > at && text[end - 1] === ' ') end--;
    }
    out.push(piece(at, end));
    at = next;
  }
  return out;
}

/** The characters `from` up to `to` of a line, as segments with their styles. */
function slice(line: Line, from: number, to: number): Line {
  const out: Line = [];
  let pos = 0;
  for (const s of line) {
    const a = Math.max(from, pos);
    const b = Math.min(to, pos + s.text.length);
    if (a < b) out.push(seg(s.text.slice(a - pos, b - pos), s.style));
    pos += s.text.length;
    if (pos >= to) break;
  }
  return out;
}
