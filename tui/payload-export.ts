import { ownMessageKind } from '../core/filter/subject.js';
import { recordPayload, type ActionRecord, type MessageRecord } from '../core/log/records.js';
import { payloadFileName } from './file-names.js';
import { count } from './format.js';
import { indentJson } from './indent-json.js';
import { keptOnlyInPart, type MessageRow } from './message-rows.js';
import { OSC52_MAX_BYTES, osc52 } from './osc52.js';

/** A message's kept payload, as `y`, `w` and `W` take it: a peer's message, or one wspeek sent itself. */
export interface Payload {
  message: MessageRecord | ActionRecord;
  bytes: Buffer;
}

/** A payload to be written to a new file in the current directory. */
export interface PayloadFile {
  name: string;
  bytes: Buffer;
  /** What the bytes are, for the notice: `32 B`, `120 B of indented JSON`. */
  what: string;
}

/** The row's message and the payload bytes kept of it, or why there are none to take. */
export function payloadOf(row: MessageRow | undefined): Payload | string {
  if (!row) return 'no message selected';
  const m = row.record;
  if (m.type === 'error') return 'an error row has no payload';
  if (row.payloadDropped) return 'the payload was dropped from memory (payload budget); the session log (--save) has it';
  const inPart = keptOnlyInPart(row);
  if (inPart !== null) return inPart;
  // Copied: a row's bytes may be a view into the list's memory, reused as rows come.
  const bytes = m.type === 'action' ? Buffer.from(m.text ?? m.base64 ?? '', m.text !== undefined ? 'utf8' : 'base64') : Buffer.from(recordPayload(m));
  return bytes.length === 0 ? 'the payload is empty' : { message: m, bytes };
}

/**
 * What `y` puts on the clipboard: a text message's text as it is, any other payload (binary,
 * text that is not UTF-8, ping, pong, close) as base64, as the session log keeps it. Returns the
 * OSC 52 sequence and the notice, or why it can't be copied.
 */
export function clipboardCopy(p: Payload): { sequence: string; notice: string } | string {
  const text = p.message.text ?? p.bytes.toString('base64');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > OSC52_MAX_BYTES) return `too large for the clipboard (${count(bytes)} B, at most ${count(OSC52_MAX_BYTES)} B): w writes it to a file`;
  const kind = p.message.type === 'action' ? ownMessageKind(p.message) : p.message.kind;
  const what = p.message.text !== undefined ? `${count(bytes)} B of text` : `${count(p.bytes.length)} B of ${kind} as base64 (${count(bytes)} characters)`;
  return { sequence: osc52(text), notice: `copied ${what}${kept(p)} to the clipboard (OSC 52; if it doesn't arrive, w writes a file)` };
}

/**
 * What `w` (raw) or `W` (indented JSON) writes: the payload's bytes exactly, named `.txt`, `.json`
 * or `.bin`; or, for text that is a JSON object or array, indented. Returns why not when the
 * payload is not JSON and JSON was asked for.
 */
export function payloadFile(p: Payload, indented: boolean): PayloadFile | string {
  const text = p.message.text;
  const json = text === undefined ? null : indentJson(text);
  if (indented) {
    if (json === null) return `not a JSON object or array: w writes the payload as it is`;
    const bytes = Buffer.from(json, 'utf8');
    return { name: payloadFileName(p.message, '-indented.json'), bytes, what: `${count(bytes.length)} B of indented JSON${kept(p)}` };
  }
  const extension = json !== null ? '.json' : text !== undefined ? '.txt' : '.bin';
  return { name: payloadFileName(p.message, extension), bytes: p.bytes, what: `${count(p.bytes.length)} B${kept(p)}` };
}

/** Says when only the first bytes of the payload were kept. */
function kept(p: Payload): string {
  return p.message.type === 'message' && p.message.truncated ? ' (truncated: --max-payload)' : '';
}
