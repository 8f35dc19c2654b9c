/**
 * Makes text from the wire safe to show in a terminal: nothing a peer sends may move the
 * cursor, recolour, retitle or reorder the user's screen. C0 and C1 controls and DEL become
 * visible escapes (`\x1b`, `\n`, `\x9b`), and invisible format characters that reorder or hide
 * text (bidi overrides and isolates, zero-width joiners, BOM) become `\u{…}`.
 */
export function visible(text: string): string {
  return MAYBE_UNSAFE.test(text) ? text.replace(UNSAFE, escapeChar) : text;
}

/** Every character UNSAFE can match lies in these ranges (Cf above U+00AD starts at U+0600): a cheap test first. */
const MAYBE_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u0600-\uffff]/;

// C0 controls, DEL, C1 controls, and Unicode format characters (Cf: bidi controls, ZW*, BOM, …),
// plus line/paragraph separators, which some terminals treat as line breaks.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|\p{Cf}/gu;

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
