import { recordPayload, type MessageRecord } from '../log/records.js';

/** A data message read as JSON: the value, or why it could not be. */
export type JsonReading = { value: unknown } | { error: string };

/**
 * The JSON value a text message carries (a binary one is read as UTF-8 text too: some peers
 * send their JSON so). A truncated message, or text that is not JSON, is an error for a person.
 */
export function readJsonMessage(m: MessageRecord): JsonReading {
  if (m.truncated) return { error: `truncated: only the first bytes of ${m.length} were kept` };
  const text = m.text ?? (m.kind === 'binary' ? recordPayload(m).toString('utf8') : undefined);
  if (text === undefined) return { error: 'not valid UTF-8 text' };
  const value = parseJson(text);
  return value === undefined ? { error: 'not JSON' } : { value };
}

/** The JSON value `text` holds, or undefined when it is not JSON (which no JSON text parses to). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** True for a JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
