import type { HeaderList, HttpRequestHead, HttpResponseHead } from './events.js';

/** A header block larger than this is not buffered further (it would be answered 431). */
export const MAX_HEAD_BYTES = 64 * 1024;

export type HeadReadResult =
  /** The head is not complete yet: feed more bytes. */
  | { kind: 'need-more' }
  /** `head` is the header block up to and including the empty line; `rest` are the bytes after it. */
  | { kind: 'head'; head: Buffer; rest: Buffer }
  /** The header block passed MAX_HEAD_BYTES without ending. */
  | { kind: 'too-large' };

/**
 * Collects bytes until an HTTP/1.x header block ends (an empty line, RFC 7230 §3),
 * whatever the chunking. Bare LF line ends are accepted as RFC 7230 §3.5 allows.
 */
export class HeadReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** The last three bytes seen, to find CRLF CRLF (or LF LF) across chunk boundaries. */
  private last3 = 0;
  private started = false;

  push(chunk: Buffer): HeadReadResult {
    let i = 0;
    // RFC 7230 §3.5: ignore empty lines before the start line.
    if (!this.started) {
      while (i < chunk.length && (chunk[i] === 0x0d || chunk[i] === 0x0a)) i++;
      if (i === chunk.length) return { kind: 'need-more' };
      this.started = true;
      chunk = chunk.subarray(i);
      i = 0;
    }
    let last3 = this.last3;
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0x0a && ((last3 & 0xffffff) === 0x0d0a0d || (last3 & 0xff) === 0x0a || (last3 & 0xffff) === 0x0a0d)) {
        this.chunks.push(chunk.subarray(0, i + 1));
        const head = Buffer.concat(this.chunks, this.size + i + 1);
        this.chunks = [];
        return head.length > MAX_HEAD_BYTES ? { kind: 'too-large' } : { kind: 'head', head, rest: chunk.subarray(i + 1) };
      }
      last3 = ((last3 << 8) | b) & 0xffffff;
    }
    this.last3 = last3;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > MAX_HEAD_BYTES) {
      this.chunks = [];
      return { kind: 'too-large' };
    }
    return { kind: 'need-more' };
  }
}

export type ParsedHead<T> = { ok: true; head: T; problems: string[] } | { ok: false; error: string };

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) (HTTP\/\d\.\d)$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;

/** Parses a request head (as returned by HeadReader) into method, target, version and headers. */
export function parseRequestHead(bytes: Buffer): ParsedHead<HttpRequestHead> {
  const lines = splitLines(bytes);
  const m = REQUEST_LINE.exec(lines[0] ?? '');
  if (!m) return { ok: false, error: `bad request line ${JSON.stringify(clip(lines[0] ?? ''))}` };
  const { headers, problems } = parseHeaderLines(lines);
  return { ok: true, head: { method: m[1]!, target: m[2]!, version: m[3]!, headers }, problems };
}

/** Parses a response head into version, status, reason and headers. */
export function parseResponseHead(bytes: Buffer): ParsedHead<HttpResponseHead> {
  const lines = splitLines(bytes);
  const m = STATUS_LINE.exec(lines[0] ?? '');
  if (!m) return { ok: false, error: `bad status line ${JSON.stringify(clip(lines[0] ?? ''))}` };
  const { headers, problems } = parseHeaderLines(lines);
  return { ok: true, head: { version: m[1]!, status: Number(m[2]), reason: m[3] ?? '', headers }, problems };
}

/** All values of a header (names compare case-insensitively), in order. */
export function headerValues(headers: HeaderList, name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of headers) if (n.toLowerCase() === lower) out.push(v);
  return out;
}

/** Whether a comma-separated header (Connection, Upgrade) lists `token`, case-insensitively. */
export function headerHasToken(headers: HeaderList, name: string, token: string): boolean {
  const t = token.toLowerCase();
  return headerValues(headers, name).some((v) => v.split(',').some((part) => part.trim().toLowerCase() === t));
}

function splitLines(bytes: Buffer): string[] {
  // latin1 maps each byte to one char, so nothing is lost or reinterpreted.
  const lines = bytes.toString('latin1').split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;

function parseHeaderLines(lines: string[]): { headers: HeaderList; problems: string[] } {
  const headers: HeaderList = [];
  const problems: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const last = headers[headers.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      // RFC 7230 §3.2.4: obsolete line folding; a recipient may replace it with a space.
      last[1] = `${last[1]} ${line.trim()}`;
      problems.push(`obsolete line folding in ${last[0]}`);
      continue;
    }
    const m = HEADER_LINE.exec(line);
    if (m) headers.push([m[1]!, m[2]!]);
    else problems.push(`bad header line ${JSON.stringify(clip(line))}`);
  }
  return { headers, problems };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
