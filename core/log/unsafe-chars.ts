/**
 * Characters a terminal may act on, or that reorder or hide text: C0 controls, DEL, C1 controls,
 * Unicode format characters (Cf: bidi overrides and isolates, zero-width characters, BOM, …) and
 * the line/paragraph separators. Nothing a peer sends may reach the user's terminal raw.
 */
export const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|\p{Cf}/gu;

/**
 * A cheap test for "might contain one": the C0/C1 ranges and every Cf character of the BMP
 * (U+00AD, U+0600–0605, U+061C, U+06DD, U+070F, U+0890–0891, U+08E2, U+180E, U+200B–200F,
 * U+202A–202E, U+2060–206F, U+FEFF, U+FFF9–FFFB), the separators, and any surrogate (the Cf
 * characters beyond the BMP). Text without any of these skips the Unicode-aware scan.
 */
export const MAYBE_UNSAFE_CHARS =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/;
