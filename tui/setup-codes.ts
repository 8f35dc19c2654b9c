/**
 * QR codes that set a phone up in one scan each: the proxy's address (to type into the Wi-Fi
 * proxy settings, or for a scanner app to copy) and the CA page's URL. Drawn with `▀ ▄ █` and
 * spaces only, two modules to a character cell, light modules in the terminal's foreground.
 */
import { encode } from 'uqr';

/** The CA page, served by the proxy itself (proxy/tls/ca-page.ts). */
export const CA_PAGE_URL = 'http://wspeek.ca/';

/** What the set-up codes hold. */
export interface SetupCodes {
  /** `HOST:PORT` a device on the LAN reaches the proxy at. */
  proxy: string;
  /** What kind of proxy that is, as its caption says: an HTTP proxy (the default) or the SOCKS5 listener. */
  kind?: 'http' | 'socks5';
  /** The CA page's URL. */
  caPage: string;
}

/**
 * Light modules around the code. ISO/IEC 18004 §6.3.8 asks for 4; phone cameras read 2, and the
 * codes then fit side by side in 80×24.
 */
const QUIET_ZONE = 2;
/** Columns between the two codes side by side. */
const GAP = 3;

/** One QR code (error correction L) as lines of `▀ ▄ █` and spaces: a cell is two modules, one above the other; a full block is two light ones. */
export function qrLines(text: string): string[] {
  const { data, size } = encode(text, { ecc: 'L', border: QUIET_ZONE });
  // data[y][x] is true for a dark module; below the last row is dark (the terminal's background).
  const light = (x: number, y: number) => y < size && !data[y]![x];
  const lines: string[] = [];
  for (let y = 0; y < size; y += 2) {
    let line = '';
    for (let x = 0; x < size; x++) {
      const top = light(x, y);
      const bottom = light(x, y + 1);
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines;
}

/** A code under its caption, every line padded to the wider of the two. */
function captioned(caption: string, text: string): string[] {
  const code = qrLines(text);
  const width = Math.max(caption.length, code[0]!.length);
  return [caption, ...code].map((line) => line.padEnd(width));
}

/** The codes' lines, or (when they fit neither side by side nor one above the other) a sentence saying how much room they need. */
export type SetupCodeText = { lines: string[] } | { tooSmall: string };

/**
 * The two codes in `width` × `height` cells: side by side when they fit, else one above the
 * other, else why not.
 */
export function setupCodeLines(codes: SetupCodes, width: number, height: number): SetupCodeText {
  const label = codes.kind === 'socks5' ? 'SOCKS5 proxy' : 'proxy';
  const left = captioned(`${label} ${codes.proxy}`, codes.proxy);
  const right = captioned(`CA page ${codes.caPage}`, codes.caPage);
  const sideWidth = left[0]!.length + GAP + right[0]!.length;
  const sideHeight = Math.max(left.length, right.length);
  if (sideWidth <= width && sideHeight <= height) {
    return {
      lines: Array.from({ length: sideHeight }, (_, i) =>
        `${(left[i] ?? '').padEnd(left[0]!.length)}${' '.repeat(GAP)}${right[i] ?? ''}`.trimEnd()),
    };
  }
  const stackWidth = Math.max(left[0]!.length, right[0]!.length);
  const stackHeight = left.length + 1 + right.length;
  if (stackWidth <= width && stackHeight <= height) return { lines: [...left, '', ...right].map((line) => line.trimEnd()) };
  return {
    tooSmall: `too small for the QR codes: they need ${sideWidth}×${sideHeight} or ${stackWidth}×${stackHeight} cells, ` +
      `this is ${width}×${height}. ${codes.kind === 'socks5' ? 'SOCKS5 proxy' : 'Proxy'} ${codes.proxy}, CA page ${codes.caPage}`,
  };
}
