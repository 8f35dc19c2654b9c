/**
 * The view-filter language: what a user types after `/` in the UI or passes as `--filter EXPR`,
 * parsed once into a predicate that is applied to every message row (the list view, find and
 * the headless output use the same code). The fields and keywords, with their help, are the
 * tables in fields.ts. The source goes lexer.ts → parser.ts (a syntax tree, syntax-tree.ts) →
 * compile.ts (the predicate).
 *
 * Atoms: a keyword (`client`, `text`); `field op value`; `#3` (conn:3); a json path
 * (`json.items[0].id=7`, or alone: `json.error`); a bare word or a quoted string ("…" or '…',
 * escapes \" \' \\ \n \t \r), which the payload must contain (any case); `/pattern/flags`, a
 * JavaScript regular expression the payload must match (case-sensitive unless flag i; flags from
 * i m s u y). Keywords and field names are case-insensitive. A bare word that is a keyword means
 * the keyword: quote it ("text", "len", "reply") to search for the word.
 *
 * Field operators: `:`, `=` and `==` mean "is" for numbers and choices (kind, direction,
 * protocol) and ids, and "contains, any case" for text; `!=` is the negation; `<`, `<=`, `>`, `>=`
 * compare numbers and durations. Spaces are allowed around the operator (`len > 1k`). Lists
 * (`conn:1,4,7`) mean "any of" and work with `:`, `=` and `!=`. A comparison on a value a row
 * does not have (close code of a text message, host of a row without URL) is false, whether `=`
 * or `!=`; use `not code:1000` to include rows without a close code.
 *
 * Application entries (`app`: Socket.IO events, GraphQL operations, MQTT packets…): a message
 * matches `proto:`, `name:`, `id:`, `latency` and the keywords heartbeat, request, reply and
 * unanswered when any of its entries does; `!=` when some entry has the value and none matches.
 *
 * JSON paths: `json` then `.key`, `[n]` or `["any key"]` steps, tested in every JSON value of the
 * row (the text payload if it is a JSON object or array, each entry's `value`, each Socket.IO
 * argument): `=` matches a string, number, true, false or null exactly (`42` is 42 or "42"), `!=`
 * when the path is in some value and no value there is equal, `~` a string, number, boolean or
 * null whose text contains the value (any case), and a path alone that the path is there. `~` is
 * for json paths only. A row without JSON never matches.
 *
 * Grammar:
 *   expr    := and ( ('or' | '||' | '|') and )*
 *   and     := unary ( ('and' | '&&' | '&')? unary )*      (juxtaposition means and)
 *   unary   := ('not' | '!' | '-')* primary
 *   primary := '(' expr ')' | atom
 *   path    := 'json' ( '.' key | '[' digits ']' | '[' quoted ']' )+ ( ('=' | '!=' | '~') value )?
 *
 * Precedence: not > and > or, so `a or b and c` is `a or (b and c)`.
 *
 * Lexical rules: a word ends at whitespace, `(`, `)`, `&` or `|`; quote text containing those.
 * A leading `-` or `!` negates, so quote `"-5"` to search for it. `>` and `<` not followed by
 * `=` are words of their own, the keywords client and server (`>text`). `/` at the start of a
 * word begins a regular expression (`url:/chat` is still a URL substring because it is a field
 * value). A `.key` runs to the next `.`, `[`, `]`, operator, quote or end of word. `~` is an
 * operator only after a field name or a json path (`a~b` is a word).
 *
 * Performance: parsing happens once; the result is a tree of closures with the operands of
 * each and/or ordered cheapest first (flags, numbers and application entries, then URL tests,
 * then payload substrings and json paths, then regexes), so `payloadText()` and `payloadJson()`
 * are called only when a row gets that far, and then at most once per row. A row without
 * entries costs the entry tests one null check. Regexes are compiled at parse time; host/URL
 * lower-casing is cached per URL string.
 */
import type { KeptAppEntry } from '../app/app-entry.js';
import { compile } from './compile.js';
import { parse } from './parser.js';

/** What a filter sees of one row of the list: a message, or an error of wspeek's own. */
export interface FilterSubject {
  /** What the row is: a message, or an error of wspeek's own on the connection. */
  type: 'message' | 'error';
  /** Connection id. */
  conn: number;
  /** The sender; null for an error. */
  from: 'client' | 'server' | null;
  /** The message kind; null for an error. */
  kind: 'text' | 'binary' | 'ping' | 'pong' | 'close' | null;
  /** 1 text, 2 binary, 8 close, 9 ping, 10 pong; NaN for an error. */
  opcode: number;
  /** Payload length; NaN for an error. */
  length: number;
  /** The message was compressed (permessage-deflate); false when it was not, and when that is unknown (a message read from HAR). */
  compressed: boolean;
  truncated: boolean;
  /** Violations recorded on this message's connection for this message (0 = none). */
  violations: number;
  closeCode: number | null;
  /** The connection's URL, e.g. ws://127.0.0.1:3000/chat. */
  url: string | null;
  /** Payload as text (lazy: text, or a lossy decoding of binary; an error's detail); called at most once per row and only if needed. */
  payloadText(): string;
  /** What wspeek did to the message, from the action records linked to it; null when it did nothing (or, headless, not yet). */
  actions: ActionMarks | null;
  /** What the application protocol read from the message (Socket.IO, GraphQL, MQTT…), answered marks included; null when nothing. */
  app: readonly KeptAppEntry[] | null;
  /** The text payload of a text message parsed as JSON, if it is an object or array; else undefined. Lazy, like payloadText. */
  payloadJson(): unknown;
}

/** What wspeek did to one message, as its action records say. */
export interface ActionMarks {
  /** Held now: neither forwarded nor dropped yet. */
  held: boolean;
  dropped: boolean;
  edited: boolean;
  /** The message is one wspeek sent itself: injected, or sent again. */
  injected: boolean;
}

export type FilterPredicate = (s: FilterSubject) => boolean;

/** A filter ready to apply, with the source it was parsed from. */
export interface CompiledFilter {
  readonly source: string;
  readonly predicate: FilterPredicate;
}

/** Why a source is not a filter, and where. */
export interface FilterError {
  ok: false;
  error: string;
  /** 0-based index into the source where the problem is (source.length when more input was expected). */
  position: number;
  /** Characters to underline, ≥ 1. */
  length: number;
}

export type FilterParseResult = ({ ok: true } & CompiledFilter) | FilterError;

/**
 * Parse and compile a filter expression. Never throws. A blank source matches
 * every row. The predicate calls `payloadText()` at most once per row, and
 * only for rows that reach a payload test.
 */
export function parseFilter(source: string): FilterParseResult {
  if (source.trim() === '') return { ok: true, predicate: () => true, source };
  const parsed = parse(source);
  return parsed.ok ? { ok: true, predicate: compile(parsed.tree), source } : parsed;
}
