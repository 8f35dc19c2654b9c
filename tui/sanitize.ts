import { MAYBE_UNSAFE_CHARS, UNSAFE_CHARS } from '../core/log/unsafe-chars.js';

/**
 * Makes text from the wire safe to show in a terminal: nothing a peer sends may move the
 * cursor, recolour, retitle or reorder the user's screen. C0 and C1 controls and DEL become
 * visible escapes (`\x1b`, `\n`, `\x9b`), and invisible format characters that reorder or hide
 * text (bidi overrides and isolates, zero-width joiners, BOM) become `\u{…}`.
 */
export function visible(text: string): string {
  return MAYBE_UNSAFE_CHARS.test(text) ? text.replace(UNSAFE_CHARS, escapeChar) : text;
}


const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Shortens to `max` characters with an ellipsis, after making it visible. */
export function preview(text: string, max: number): string {
  const v = visible(text);
  return v.length > max ? `${v.slice(0, Math.max(0, max - 1))}…` : v;
}
