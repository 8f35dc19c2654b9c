/**
 * Classic hex dump lines: offset (`offsetDigits` hex digits), 16 bytes in two groups of 8 (or 8
 * bytes, for narrow panes), and the printable ASCII (anything else as '.'), e.g.
 * `00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64              |Hello, world|`
 */
export function hexDump(bytes: Uint8Array, maxLines = Infinity, perLine: 8 | 16 = 16, offsetDigits = 8): string[] {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length && lines.length < maxLines; off += perLine) {
    const row = bytes.subarray(off, Math.min(off + perLine, bytes.length));
    let hex = '';
    let ascii = '';
    for (let i = 0; i < perLine; i++) {
      if (i === 8) hex += ' ';
      if (i < row.length) {
        const b = row[i]!;
        hex += `${b.toString(16).padStart(2, '0')} `;
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else hex += '   ';
    }
    lines.push(`${off.toString(16).padStart(offsetDigits, '0')}  ${hex} |${ascii}|`);
  }
  return lines;
}

/** Bytes as spaced hex pairs: `d2 56 90 b9`. */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** The characters of a full hex dump line. */
export function hexDumpWidth(perLine: 8 | 16, offsetDigits: number): number {
  return offsetDigits + 2 + perLine * 3 + (perLine > 8 ? 1 : 0) + 1 + perLine + 2;
}

/** A hex dump as the user edited it: the bytes, or the first line that is not one. */
export type ParsedHexDump = { ok: true; bytes: Buffer } | { ok: false; line: number; error: string };

const HEX_BYTE = /^[0-9a-f]{2}$/i;
const OFFSET = /^[0-9a-f]+:?$/i;

/**
 * Reads the bytes back from a hex dump that a person edited (what `hexDump` writes, or xxd's
 * `00000000:`): on each line an optional offset (a first word of other than two hex digits; it is
 * ignored, so bytes may be added or removed anywhere), then bytes of two hex digits separated by
 * spaces; the `|ASCII|` column and lines starting with `#` are ignored.
 */
export function parseHexDump(text: string): ParsedHexDump {
  const out: number[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trimStart().startsWith('#')) continue;
    const bar = line.indexOf('|');
    const words = (bar < 0 ? line : line.slice(0, bar)).split(/\s+/).filter(Boolean);
    const first = words[0];
    if (first !== undefined && (first.endsWith(':') || !HEX_BYTE.test(first)) && OFFSET.test(first)) words.shift();
    for (const w of words) {
      if (!HEX_BYTE.test(w)) return { ok: false, line: n + 1, error: `line ${n + 1}: ${JSON.stringify(w.length > 20 ? `${w.slice(0, 20)}…` : w)} is not a byte (two hex digits)` };
      out.push(parseInt(w, 16));
    }
  }
  return { ok: true, bytes: Buffer.from(out) };
}
