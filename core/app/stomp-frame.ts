/** STOMP 1.2 "Client Frames". */
export const STOMP_CLIENT_COMMANDS = ['CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT'] as const;
/** STOMP 1.2 "Server Frames". */
export const STOMP_SERVER_COMMANDS = ['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'] as const;

const COMMANDS: ReadonlySet<string> = new Set<string>([...STOMP_CLIENT_COMMANDS, ...STOMP_SERVER_COMMANDS]);
const LONGEST_COMMAND = Math.max(...[...COMMANDS].map((c) => c.length));
const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

/** A STOMP frame's command and headers (repeated headers: the first wins, STOMP 1.2 "Repeated Header Entries"). */
export interface StompHead {
  command: string;
  headers: Record<string, string>;
}

/** What `scanStompFrame` found at an offset of a byte stream. */
export type StompScan =
  /** A whole frame; the next one starts at `end`. */
  | { kind: 'frame'; head: StompHead; body: Buffer; end: number }
  /** Nothing but EOLs (heart-beats) up to the end of the bytes. */
  | { kind: 'eols' }
  /** The bytes end inside a frame; `head` once its headers are complete, `command` once its command line is. */
  | { kind: 'more'; command: string | null; head: StompHead | null }
  /** Not STOMP: what is wrong, for a person. */
  | { kind: 'error'; error: string };

/**
 * Reads the STOMP frame that starts at `start` in `bytes`, after any EOLs (heart-beats, or the EOLs
 * that may follow a frame's NUL). `escapes`: the connection speaks STOMP 1.1 or later, whose header
 * names and values are escaped in every frame but CONNECT and CONNECTED. Never throws.
 */
export function scanStompFrame(bytes: Buffer, start: number, escapes: boolean): StompScan {
  let i = skipEols(bytes, start);
  if (i === bytes.length) return { kind: 'eols' };
  const commandEnd = bytes.indexOf(LF, i);
  if (commandEnd < 0) {
    const sofar = bytes.toString('latin1', i, Math.min(bytes.length, i + LONGEST_COMMAND + 1));
    const prefix = sofar.endsWith('\r') ? sofar.slice(0, -1) : sofar;
    if ([...COMMANDS].some((c) => c.startsWith(prefix))) return { kind: 'more', command: null, head: null };
    return { kind: 'error', error: `not a STOMP command: ${quote(sofar)}` };
  }
  const command = line(bytes, i, commandEnd).toString('latin1');
  if (!COMMANDS.has(command)) return { kind: 'error', error: `not a STOMP command: ${quote(command)}` };
  const escaped = escapes && command !== 'CONNECT' && command !== 'CONNECTED';
  const headers: Record<string, string> = {};
  i = commandEnd + 1;
  for (;;) {
    const eol = bytes.indexOf(LF, i);
    if (eol < 0) return { kind: 'more', command, head: null };
    const l = line(bytes, i, eol);
    i = eol + 1;
    if (l.length === 0) break;
    const colon = l.indexOf(0x3a);
    if (colon < 0) return { kind: 'error', error: `${command}: a header line without ':': ${quote(l.toString('utf8'))}` };
    const name = header(l.subarray(0, colon), escaped);
    const value = header(l.subarray(colon + 1), escaped);
    if (name === null || value === null) return { kind: 'error', error: `${command}: an undefined escape sequence in header ${quote(l.toString('utf8'))} (STOMP 1.2 "Value Encoding")` };
    if (!Object.hasOwn(headers, name)) Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  }
  const head: StompHead = { command, headers };
  // STOMP 1.2 "Header content-length": that many octets, NULs included, then the frame's NUL.
  const length = headers['content-length'];
  if (length !== undefined) {
    if (!/^\d{1,15}$/.test(length)) return { kind: 'error', error: `${command}: content-length is not a number of octets: ${quote(length)}` };
    const nul = i + Number(length);
    if (nul >= bytes.length) return { kind: 'more', command, head };
    if (bytes[nul] !== NUL) return { kind: 'error', error: `${command}: no NUL after the ${length} octets of content-length` };
    return { kind: 'frame', head, body: bytes.subarray(i, nul), end: nul + 1 };
  }
  const nul = bytes.indexOf(NUL, i);
  if (nul < 0) return { kind: 'more', command, head };
  return { kind: 'frame', head, body: bytes.subarray(i, nul), end: nul + 1 };
}

/** True when `text` starts with a STOMP CONNECT or STOMP command line and a header: how a STOMP session opens. */
export function opensStomp(text: string): boolean {
  return /^(?:CONNECT|STOMP)\r?\n[^\r\n:]+:/.test(text);
}

function skipEols(bytes: Buffer, i: number): number {
  for (;;) {
    if (bytes[i] === LF) i += 1;
    else if (bytes[i] === CR && bytes[i + 1] === LF) i += 2;
    else return i;
  }
}

/** The line from `from` to the LF at `lf`, without a CR before it (EOL = [CR] LF). */
function line(bytes: Buffer, from: number, lf: number): Buffer {
  return bytes.subarray(from, lf > from && bytes[lf - 1] === CR ? lf - 1 : lf);
}

/** A header name or value, unescaped when `escaped` (`\r`, `\n`, `\c`, `\\`); null on any other escape. */
function header(raw: Buffer, escaped: boolean): string | null {
  const s = raw.toString('utf8');
  if (!escaped || !s.includes('\\')) return s;
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = s[++k];
    if (next === 'r') out += '\r';
    else if (next === 'n') out += '\n';
    else if (next === 'c') out += ':';
    else if (next === '\\') out += '\\';
    else return null;
  }
  return out;
}

/** Up to 40 characters of `s`, JSON-quoted, for error messages. */
function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}
