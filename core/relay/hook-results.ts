import type { HeaderList } from '../websocket/events.js';
import type { Decision } from './message-gate.js';

/** What a script's hook answered, read: its result, or why the answer can't be used. */
export type HookResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** What a script may do to a data message besides leaving it alone. */
export type HookDecision = Exclude<Decision, { kind: 'forward' }>;

/** Nothing to do: the message or request goes on as it is. */
const LEAVE = { ok: true, value: null } as const;

/**
 * What `onMessage` returned, as a decision on the message: `undefined` leaves it as it is (null);
 * `{ drop: true }` drops it; a string or `{ text }` replaces it with that text message, a Buffer
 * (any Uint8Array) or `{ data }` with that binary message. Anything else is an error that says
 * what was expected.
 */
export function hookDecision(value: unknown): HookResult<HookDecision | null> {
  if (value === undefined) return LEAVE;
  if (typeof value === 'string') return text(value);
  if (value instanceof Uint8Array) return binary(value);
  if (typeof value === 'object' && value !== null) {
    const o = value as { drop?: unknown; text?: unknown; data?: unknown };
    if (o.drop === true) return { ok: true, value: { kind: 'drop' } };
    if (typeof o.text === 'string') return text(o.text);
    if (o.data instanceof Uint8Array) return binary(o.data);
  }
  return { ok: false, error: `onMessage returned ${describe(value)}; expected undefined, { drop: true }, a string, { text }, a Buffer or { data }` };
}

/**
 * What `onHandshake` left in `req.headers` (`given`, changed in place or not) or returned instead:
 * the headers to send upstream, or null when they are the same as `original`. Each must be a
 * [name, value] pair of strings, a name an HTTP token, a value without CR, LF or NUL (which
 * would end the header or the head early).
 */
export function hookHeaders(returned: unknown, given: unknown, original: HeaderList): HookResult<HeaderList | null> {
  const value = returned === undefined ? given : returned;
  const what = returned === undefined ? 'req.headers' : 'onHandshake returned';
  if (!Array.isArray(value)) return { ok: false, error: `${what} ${describe(value)}; expected an array of [name, value] pairs` };
  const headers: HeaderList = [];
  for (const [i, pair] of value.entries()) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      return { ok: false, error: `${what}: header ${i} is ${describe(pair)}; expected a [name, value] pair of strings` };
    }
    const [name, v] = pair as [string, string];
    if (!TOKEN.test(name)) return { ok: false, error: `${what}: header ${i}'s name ${JSON.stringify(name)} is not an HTTP token` };
    if (/[\r\n\0]/.test(v)) return { ok: false, error: `${what}: header ${name}'s value has a CR, LF or NUL` };
    headers.push([name, v]);
  }
  const same = headers.length === original.length && headers.every(([n, v], i) => n === original[i]![0] && v === original[i]![1]);
  return same ? LEAVE : { ok: true, value: headers };
}

/** RFC 9110 §5.1: a field name is a token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function text(s: string): HookResult<HookDecision> {
  return { ok: true, value: { kind: 'replace', opcode: 1, payload: Buffer.from(s, 'utf8') } };
}

function binary(b: Uint8Array): HookResult<HookDecision> {
  return { ok: true, value: { kind: 'replace', opcode: 2, payload: b } };
}

/** A returned value, shortly, for an error message. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return `an object with ${Object.keys(value).map((k) => JSON.stringify(k)).join(', ') || 'no keys'}`;
  if (typeof value === 'function') return 'a function';
  const s = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${typeof value} ${s.length > 40 ? `${s.slice(0, 39)}…` : s}`;
}
