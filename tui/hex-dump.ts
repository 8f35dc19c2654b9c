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
