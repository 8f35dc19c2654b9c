/**
 * The view-filter language: what a user types after `/` in the UI or passes
 * as `--filter EXPR`, compiled once into a closure that is applied to every
 * message row (the list view and the headless output use the same code).
 *
 * Forms (keywords and field names are case-insensitive):
 *
 *   client  server            sender of the message
 *   c2s  >   s2c  <           client→server / server→client (same as client / server)
 *   from:client  from:server  the same, as a field
 *   text binary ping pong close   message kind
 *   kind:text  kind:ping,pong     the same, as a field; a comma list means "any of"
 *   control  data             ping|pong|close  /  text|binary
 *   opcode:9  opcode:0x9      WebSocket opcode (decimal or hex)
 *   conn:3  conn:1,4,7  #3    connection id(s)
 *   host:example              host[:port] of the connection URL contains "example"
 *   url:/chat                 the whole connection URL contains "/chat"
 *   hello  "hello world"  'hello world'  payload:hello
 *                             payload text contains the text (case-insensitive).
 *                             Quotes: "…" or '…', escapes \" \' \\ \n \t \r.
 *                             Bare words that are keywords mean the keyword:
 *                             quote them ("text", "len") to search for the word.
 *   /pattern/flags            payload text matches a JavaScript regular expression
 *                             (case-sensitive unless flag i; flags from i m s u y)
 *   len>100 len>=1k len<10 len<=10 len=5 len!=5
 *                             payload length (`length` is an alias); sizes may end
 *                             in k/kb/kib or m/mb/mib (1024-based) or b
 *   compressed  truncated     message flags
 *   violation  bad            a protocol violation was recorded for the message
 *   violations>2              number of violations recorded for the message
 *   code:1000  code>=4000     close code (`close:1000` is an alias); false for
 *                             messages without a close code
 *   a and b   a && b   a & b   a b       both (juxtaposition means and)
 *   a or b    a || b   a | b             either
 *   not a     !a       -a                negation
 *   ( … )                                grouping
 *
 * Precedence: not > and > or, so `a or b and c` is `a or (b and c)`.
 *
 * Fields: `field:value` and `field=value` (also `==`) mean "is" for numbers and
 * kinds and "contains" for text; `field!=value` is the negation. `<`, `<=`, `>`,
 * `>=` work on the numeric fields (len, conn, opcode, code, violations). Spaces
 * are allowed around the operator (`len > 1k`). Lists (`conn:1,4,7`) work with
 * `:`, `=` and `!=`. A comparison on a value a row does not have (close code of a
 * text message, host of a row without URL) is false, whether `=` or `!=`; use
 * `not code:1000` to include rows without a close code.
 *
 * Lexical rules: a word ends at whitespace, `(`, `)`, `&` or `|`; quote text
 * containing those. A leading `-` or `!` negates, so quote `"-5"` to search for
 * it. `/` at the start of a word begins a regular expression (`url:/chat` is
 * still a URL substring because it is a field value).
 *
 * Grammar:
 *   expr    := and ( ('or' | '||' | '|') and )*
 *   and     := unary ( ('and' | '&&' | '&')? unary )*
 *   unary   := ('not' | '!' | '-')* primary
 *   primary := '(' expr ')' | atom
 *
 * Performance: parsing happens once; the result is a tree of closures with the
 * operands of each and/or ordered cheapest first (flags and numbers, then URL
 * tests, then payload substrings, then regexes), so `payloadText()` is called
 * only when a row gets that far, and then at most once per row. Regexes are
 * compiled at parse time; host/URL lower-casing is cached per URL string.
 */

/** What a filter sees of one message row. */
export interface FilterSubject {
  /** Connection id. */
  conn: number;
  from: 'client' | 'server';
  kind: 'text' | 'binary' | 'ping' | 'pong' | 'close';
  /** 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  opcode: number;
  /** Payload length. */
  length: number;
  compressed: boolean;
  truncated: boolean;
  /** Violations recorded on this message's connection for this message (0 = none). */
  violations: number;
  closeCode: number | null;
  /** The connection's URL, e.g. ws://127.0.0.1:3000/chat. */
  url: string | null;
  /** Payload as text (lazy: text, or a lossy decoding of binary); called at most once per row and only if needed. */
  payloadText(): string;
}

export type FilterPredicate = (s: FilterSubject) => boolean;

export type FilterParseResult =
  | { ok: true; predicate: FilterPredicate; source: string }
  | {
      ok: false;
      error: string;
      /** 0-based index into the source where the problem is (source.length when more input was expected). */
      position: number;
      /** Characters to underline, ≥ 1. */
      length: number;
    };

/** Rows for the `?` overlay and the README: [syntax, meaning]. */
export const FILTER_HELP: ReadonlyArray<[syntax: string, meaning: string]> = [
  ['client  server', 'sent by the client / by the server'],
  ['c2s  >  s2c  <', 'client→server / server→client (same as client / server)'],
  ['from:client  from:server', 'sender, as a field'],
  ['text  binary  ping  pong  close', 'message kind'],
  ['kind:text  kind:ping,pong', 'kind, as a field; a comma list means any of them'],
  ['control  data', 'ping, pong or close  /  text or binary'],
  ['opcode:9  opcode:0x9', 'WebSocket opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong)'],
  ['conn:3  conn:1,4,7  #3', 'connection id, or any of a list'],
  ['host:example', 'host[:port] of the connection URL contains "example" (any case)'],
  ['url:/chat', 'connection URL contains "/chat" (any case)'],
  ['hello  "hello world"  payload:hello', 'payload contains the text (any case); quote keywords, spaces, ( ) & |'],
  ['/pattern/flags', 'payload matches a regular expression (case-sensitive unless i; flags i m s u y)'],
  ['len>100  len<=1k  len=5  len!=5', 'payload length (alias length); k/kb, m/mb are 1024-based'],
  ['compressed  truncated', 'message was compressed / payload was cut short'],
  ['violation  bad  violations>2', 'a protocol violation was recorded for the message (or how many)'],
  ['code:1000  code>=4000', 'close code (false for messages without one)'],
  ['field!=value', 'negated field test, e.g. from!=client, host!=cdn, conn!=1,2'],
  ['a and b  a && b  a & b  a b', 'both (terms side by side mean and)'],
  ['a or b  a || b  a | b', 'either'],
  ['not a  !a  -a', 'negation'],
  ['( … )', 'grouping; not binds tighter than and, and tighter than or'],
];

// ---------------------------------------------------------------------------
// Internals

/** Thrown inside the parser, turned into `{ ok: false }` by parseFilter. Not an Error: no stack capture needed. */
class SyntaxProblem {
  constructor(
    readonly message: string,
    readonly position: number,
    readonly length: number,
  ) {}
}

function problem(message: string, position: number, length: number): SyntaxProblem {
  return new SyntaxProblem(message, position, Math.max(1, length));
}

/** Compiled leaf with a relative cost used to order and/or operands cheapest first. */
interface Leaf {
  t: 'leaf';
  cost: number;
  fn: FilterPredicate;
}
type Node = Leaf | { t: 'and' | 'or'; items: Node[] } | { t: 'not'; item: Node };

const COST_FIELD = 1;
const COST_URL = 3;
const COST_PAYLOAD = 10;
const COST_REGEX = 20;

const MAX_DEPTH = 200;

const MATCH_ALL: FilterPredicate = () => true;

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=';

type Field = 'from' | 'kind' | 'opcode' | 'conn' | 'host' | 'url' | 'payload' | 'len' | 'code' | 'violations';

/** Field names (lower-case) → field. Maps, not object literals, so `constructor` & co. are not fields. */
const FIELDS = new Map<string, Field>([
  ['from', 'from'],
  ['kind', 'kind'],
  ['opcode', 'opcode'],
  ['conn', 'conn'],
  ['host', 'host'],
  ['url', 'url'],
  ['payload', 'payload'],
  ['len', 'len'],
  ['length', 'len'],
  ['code', 'code'],
  ['close', 'code'],
  ['violations', 'violations'],
]);
const FIELD_NAMES = [...FIELDS.keys()];

type Kind = FilterSubject['kind'];
type Direction = FilterSubject['from'];

const leaf = (fn: FilterPredicate, cost = COST_FIELD): Leaf => ({ t: 'leaf', cost, fn });

const isClient: FilterPredicate = (s) => s.from === 'client';
const isServer: FilterPredicate = (s) => s.from === 'server';
const isControl: FilterPredicate = (s) => {
  const k = s.kind;
  return k === 'ping' || k === 'pong' || k === 'close';
};
const isData: FilterPredicate = (s) => {
  const k = s.kind;
  return k === 'text' || k === 'binary';
};
const kindIs = (k: Kind): FilterPredicate => (s) => s.kind === k;

/** Bare keywords that stand for a test. */
const KEYWORDS = new Map<string, FilterPredicate>([
  ['client', isClient],
  ['c2s', isClient],
  ['server', isServer],
  ['s2c', isServer],
  ['text', kindIs('text')],
  ['binary', kindIs('binary')],
  ['ping', kindIs('ping')],
  ['pong', kindIs('pong')],
  ['close', kindIs('close')],
  ['control', isControl],
  ['data', isData],
  ['compressed', (s) => s.compressed],
  ['truncated', (s) => s.truncated],
  ['violation', (s) => s.violations > 0],
  ['violations', (s) => s.violations > 0],
  ['bad', (s) => s.violations > 0],
]);

const DIRECTION_VALUES = new Map<string, Direction>([
  ['client', 'client'],
  ['c2s', 'client'],
  ['server', 'server'],
  ['s2c', 'server'],
]);
const KIND_VALUES = new Map<string, readonly Kind[]>([
  ['text', ['text']],
  ['binary', ['binary']],
  ['ping', ['ping']],
  ['pong', ['pong']],
  ['close', ['close']],
  ['control', ['ping', 'pong', 'close']],
  ['data', ['text', 'binary']],
]);

const SIZE_UNITS = new Map<string, number>([
  ['', 1],
  ['b', 1],
  ['k', 1024],
  ['kb', 1024],
  ['kib', 1024],
  ['m', 1024 * 1024],
  ['mb', 1024 * 1024],
  ['mib', 1024 * 1024],
]);

// Linear-time patterns (no nested quantifiers), applied to single values only.
const INT_RE = /^(?:0x([0-9a-f]+)|([0-9]+))$/i;
const SIZE_RE = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)([a-z]*)$/i;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029;
}
/** Characters that end a bare word or a bare field value. */
function isWordEnd(c: number): boolean {
  return isSpace(c) || c === 40 /* ( */ || c === 41 /* ) */ || c === 38 /* & */ || c === 124 /* | */;
}
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** Shorten user text quoted back in a message. */
function clip(s: string): string {
  return s.length > 32 ? `${s.slice(0, 31)}…` : s;
}

/** Optimal-string-alignment edit distance (short strings only). */
function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2: number[] = [];
  let prev: number[] = [];
  for (let j = 0; j <= n; j++) prev.push(j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const sub = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + sub);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}

/** The closest candidate within a small edit distance, or null. */
function closest(word: string, candidates: Iterable<string>): string | null {
  if (word.length > 24) return null;
  const w = word.toLowerCase();
  const limit = w.length <= 3 ? 1 : 2;
  let best: string | null = null;
  let bestD = limit + 1;
  for (const c of candidates) {
    const d = editDistance(w, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

const didYouMean = (word: string, candidates: Iterable<string>): string => {
  const s = closest(word, candidates);
  return s === null ? '' : ` (did you mean '${s}'?)`;
};

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Lower-cased host[:port] of a URL (userinfo dropped), or '' when it has none. */
function hostOf(url: string): string {
  const scheme = url.indexOf('://');
  let start = scheme >= 0 ? scheme + 3 : url.startsWith('//') ? 2 : 0;
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  if (end > start) {
    const at = url.lastIndexOf('@', end - 1);
    if (at >= start) start = at + 1;
  }
  return url.slice(start, end).toLowerCase();
}

/** A number comparison; NaN (a missing value) never matches, not even with `!=`. */
function numberTest(get: (s: FilterSubject) => number, op: Op, values: readonly number[]): FilterPredicate {
  const n = values[0]!;
  switch (op) {
    case '<':
      return (s) => get(s) < n;
    case '<=':
      return (s) => get(s) <= n;
    case '>':
      return (s) => get(s) > n;
    case '>=':
      return (s) => get(s) >= n;
    case '=':
      if (values.length === 1) return (s) => get(s) === n;
      {
        const set = new Set(values);
        return (s) => set.has(get(s));
      }
    case '!=':
      if (values.length === 1)
        return (s) => {
          const v = get(s);
          return v === v && v !== n;
        };
      {
        const set = new Set(values);
        return (s) => {
          const v = get(s);
          return v === v && !set.has(v);
        };
      }
  }
}

const NUMERIC_GETTERS: Record<'len' | 'conn' | 'opcode' | 'code' | 'violations', (s: FilterSubject) => number> = {
  len: (s) => s.length,
  conn: (s) => s.conn,
  opcode: (s) => s.opcode,
  code: (s) => s.closeCode ?? NaN,
  violations: (s) => s.violations,
};

interface Token {
  k: 'eof' | '(' | ')' | 'and' | 'or' | 'not' | 'atom';
  pos: number;
  len: number;
  node?: Node;
}

/** A one-token-at-a-time lexer that builds leaves as it goes; every call advances or stops, so it is linear. */
class Lexer {
  private pos = 0;
  /** Set when a leaf reads the payload, so the predicate knows to reset the per-row cache. */
  needsPayload = false;

  constructor(
    private readonly src: string,
    private readonly text: (s: FilterSubject) => string,
  ) {}

  next(): Token {
    const src = this.src;
    const n = src.length;
    let i = this.pos;
    while (i < n && isSpace(src.charCodeAt(i))) i++;
    if (i >= n) {
      this.pos = n;
      return { k: 'eof', pos: n, len: 1 };
    }
    const c = src.charCodeAt(i);
    const tok = (k: Token['k'], len: number, node?: Node): Token => {
      this.pos = i + len;
      return node ? { k, pos: i, len, node } : { k, pos: i, len };
    };
    switch (c) {
      case 40: // (
        return tok('(', 1);
      case 41: // )
        return tok(')', 1);
      case 38: // &
        return tok('and', src.charCodeAt(i + 1) === 38 ? 2 : 1);
      case 124: // |
        return tok('or', src.charCodeAt(i + 1) === 124 ? 2 : 1);
      case 33: // !
        if (src.charCodeAt(i + 1) === 61) throw problem("expected a field name before '!=' (e.g. len!=5)", i, 2);
        return tok('not', 1);
      case 45: // -
        return tok('not', 1);
      case 62: // >
      case 60: {
        // <
        if (src.charCodeAt(i + 1) === 61) {
          throw problem(`expected a field name before '${src.slice(i, i + 2)}' (e.g. len${src.slice(i, i + 2)}100)`, i, 2);
        }
        return tok('atom', 1, leaf(c === 62 ? isClient : isServer));
      }
      case 61: // =
      case 58: // :
        throw problem(`expected a field name before '${src[i]}'`, i, 1);
      case 35: // #
        return this.hashConn(i);
      case 34: // "
      case 39: {
        // '
        const q = this.quoted(i);
        this.pos = q.end;
        return { k: 'atom', pos: i, len: q.end - i, node: this.payloadContains(q.value, false) };
      }
      case 47: // /
        return this.regex(i);
    }
    return this.word(i);
  }

  /** A quoted string starting at `start` (the quote). */
  private quoted(start: number): { value: string; end: number } {
    const src = this.src;
    const n = src.length;
    const q = src.charCodeAt(start);
    let out = '';
    let i = start + 1;
    let chunk = i;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === q) return { value: out + src.slice(chunk, i), end: i + 1 };
      if (c === 92 /* \ */ && i + 1 < n) {
        const d = src.charCodeAt(i + 1);
        const rep =
          d === 34 || d === 39 || d === 92 ? src[i + 1]! : d === 110 ? '\n' : d === 116 ? '\t' : d === 114 ? '\r' : null;
        if (rep !== null) {
          out += src.slice(chunk, i) + rep;
          i += 2;
          chunk = i;
          continue;
        }
      }
      i++;
    }
    throw problem('unterminated string', start, n - start);
  }

  /** `/pattern/flags` starting at `start`. */
  private regex(start: number): Token {
    const src = this.src;
    const n = src.length;
    let i = start + 1;
    let inClass = false;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 92) {
        i += 2;
        continue;
      }
      if (inClass) {
        if (c === 93 /* ] */) inClass = false;
      } else if (c === 91 /* [ */) inClass = true;
      else if (c === 47 /* / */) break;
      i++;
    }
    if (i >= n) throw problem("unterminated regular expression (quote a '/' to search for it)", start, n - start);
    const pattern = src.slice(start + 1, i);
    i++;
    let flags = '';
    while (i < n && !isWordEnd(src.charCodeAt(i))) {
      const f = src[i]!;
      if (!'imsuy'.includes(f)) throw problem(`unknown regular expression flag '${clip(f)}' (use i, m, s, u or y)`, i, 1);
      if (flags.includes(f)) throw problem(`repeated regular expression flag '${f}'`, i, 1);
      flags += f;
      i++;
    }
    let re: RegExp;
    try {
      re = new RegExp(pattern, flags);
    } catch (e) {
      throw problem(e instanceof Error ? e.message : 'invalid regular expression', start, i - start);
    }
    this.pos = i;
    this.needsPayload = true;
    const text = this.text;
    const fn: FilterPredicate = re.sticky
      ? (s) => {
          re.lastIndex = 0;
          return re.test(text(s));
        }
      : (s) => re.test(text(s));
    return { k: 'atom', pos: start, len: i - start, node: leaf(fn, COST_REGEX) };
  }

  /** `#3`, `#1,4`. */
  private hashConn(start: number): Token {
    const src = this.src;
    let e = start + 1;
    while (e < src.length && !isWordEnd(src.charCodeAt(e))) e++;
    if (e === start + 1) throw problem("expected a connection number after '#'", e, 1);
    const values = this.numberList(start + 1, e, "'#'", false);
    this.pos = e;
    return { k: 'atom', pos: start, len: e - start, node: leaf(numberTest(NUMERIC_GETTERS.conn, '=', values)) };
  }

  /** A bare word, keyword, operator word or field test starting at `start`. */
  private word(start: number): Token {
    const src = this.src;
    const n = src.length;
    let j = start;
    if (isIdentStart(src.charCodeAt(j))) {
      j++;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      const name = src.slice(start, j);
      const field = FIELDS.get(name.toLowerCase());
      let k = j;
      // `len > 100` may have spaces; `close >` stays the keyword close followed by the direction >.
      if (field !== undefined && !KEYWORDS.has(name.toLowerCase())) while (k < n && isSpace(src.charCodeAt(k))) k++;
      const op = readOp(src, k);
      if (op !== null) {
        if (field === undefined) {
          const hint = didYouMean(name, FIELD_NAMES);
          const what = KEYWORDS.has(name.toLowerCase()) ? `'${name}' is a keyword, not a field` : `unknown field '${clip(name)}'`;
          throw problem(`${what}${hint || ' (to search for it, put it in quotes)'}`, start, j - start);
        }
        return this.field(start, name, field, k, op.op, op.len);
      }
    }
    let e = j;
    while (e < n && !isWordEnd(src.charCodeAt(e))) e++;
    const word = src.slice(start, e);
    const lower = word.toLowerCase();
    this.pos = e;
    const len = e - start;
    if (lower === 'and') return { k: 'and', pos: start, len };
    if (lower === 'or') return { k: 'or', pos: start, len };
    if (lower === 'not') return { k: 'not', pos: start, len };
    const kw = KEYWORDS.get(lower);
    if (kw !== undefined) return { k: 'atom', pos: start, len, node: leaf(kw) };
    if (FIELDS.has(lower)) {
      throw problem(`'${word}' needs a value, e.g. ${example(FIELDS.get(lower)!, lower)} (quote it to search for the word)`, start, len);
    }
    return { k: 'atom', pos: start, len, node: this.payloadContains(word, false) };
  }

  /** `name op value` where the operator starts at `opPos`. */
  private field(start: number, name: string, field: Field, opPos: number, op: Op, opLen: number): Token {
    const src = this.src;
    const n = src.length;
    const lower = name.toLowerCase();
    const opText = src.slice(opPos, opPos + opLen);
    const what = `'${name}${opText}'`;
    const numeric = field === 'len' || field === 'conn' || field === 'opcode' || field === 'code' || field === 'violations';
    if (!numeric && op !== '=' && op !== '!=') {
      throw problem(`'${name}' can't be compared with '${opText}' (use ${example(field, lower)} or ${name}!=…)`, opPos, opLen);
    }
    let v = opPos + opLen;
    while (v < n && isSpace(src.charCodeAt(v))) v++;
    let value: string;
    let end: number;
    let valueStart = v;
    let valueEnd: number;
    let quoted = false;
    const c = src.charCodeAt(v);
    if (v < n && (c === 34 || c === 39)) {
      const q = this.quoted(v);
      value = q.value;
      end = q.end;
      quoted = true;
      valueStart = v + 1;
      valueEnd = q.end - 1;
    } else {
      end = v;
      while (end < n && !isWordEnd(src.charCodeAt(end))) end++;
      value = src.slice(v, end);
      valueEnd = end;
    }
    if (end === v) {
      throw problem(`expected ${numeric ? 'a number' : 'a value'} after ${what}`, v, 1);
    }
    this.pos = end;
    const token = (node: Node): Token => ({ k: 'atom', pos: start, len: end - start, node });
    const negate = op === '!=';

    switch (field) {
      case 'from': {
        const dirs = this.wordList(value, quoted, valueStart, what, (w, at, len) => {
          const d = DIRECTION_VALUES.get(w.toLowerCase());
          if (d === undefined) {
            throw problem(`unknown direction '${clip(w)}'${didYouMean(w, DIRECTION_VALUES.keys()) || ' (use client or server)'}`, at, len);
          }
          return d;
        });
        if (dirs.includes('client') && dirs.includes('server')) return token(leaf(negate ? () => false : MATCH_ALL));
        const client = dirs[0] === 'client' ? !negate : negate;
        return token(leaf(client ? isClient : isServer));
      }
      case 'kind': {
        const groups = this.wordList(value, quoted, valueStart, what, (w, at, len) => {
          const g = KIND_VALUES.get(w.toLowerCase());
          if (g === undefined) throw problem(`unknown kind '${clip(w)}'${didYouMean(w, KIND_VALUES.keys())}`, at, len);
          return g;
        });
        const kinds = new Set<Kind>(groups.flat());
        let fn: FilterPredicate;
        if (kinds.size === 1) {
          const k = [...kinds][0]!;
          fn = negate ? (s) => s.kind !== k : (s) => s.kind === k;
        } else {
          fn = negate ? (s) => !kinds.has(s.kind) : (s) => kinds.has(s.kind);
        }
        return token(leaf(fn));
      }
      case 'host':
      case 'url':
        return token(this.urlContains(field, value, negate));
      case 'payload':
        return token(this.payloadContains(value, negate));
      default: {
        // numeric
        const values = this.numberList(valueStart, valueEnd, what, field === 'len', quoted ? value : undefined);
        if (values.length > 1 && op !== '=' && op !== '!=') {
          throw problem(`a list of values needs ':' or '!=', not '${opText}'`, opPos, opLen);
        }
        return token(leaf(numberTest(NUMERIC_GETTERS[field], op, values)));
      }
    }
  }

  /** Comma-separated words; positions are exact for unquoted values. */
  private wordList<T>(
    value: string,
    quoted: boolean,
    at: number,
    what: string,
    each: (w: string, at: number, len: number) => T,
  ): T[] {
    const out: T[] = [];
    let p = 0;
    for (;;) {
      const comma = value.indexOf(',', p);
      const e = comma < 0 ? value.length : comma;
      const w = value.slice(p, e).trim();
      const pos = quoted ? at : at + p;
      if (w === '') throw problem(`expected a value ${p === 0 ? `after ${what}` : "after ','"}`, pos, 1);
      out.push(each(w, pos, quoted ? value.length : e - p));
      if (comma < 0) return out;
      p = comma + 1;
    }
  }

  /**
   * Comma-separated numbers in src[from, to) (or in `quotedValue`, then errors point at `from`).
   * Sizes (k, kb, m, mb…) are allowed when `sizes` is set.
   */
  private numberList(from: number, to: number, what: string, sizes: boolean, quotedValue?: string): number[] {
    const text = quotedValue ?? this.src.slice(from, to);
    const out: number[] = [];
    let p = 0;
    for (;;) {
      const comma = text.indexOf(',', p);
      const e = comma < 0 ? text.length : comma;
      const item = text.slice(p, e);
      const pos = quotedValue === undefined ? from + p : from;
      const len = quotedValue === undefined ? e - p : to - from;
      const after = p === 0 ? `after ${what}` : "after ','";
      const num = parseNumber(item.trim(), sizes);
      if (num === null) {
        throw problem(item === '' ? `expected a number ${after}` : `expected a number ${after}, not '${clip(item)}'`, pos, len);
      }
      out.push(num);
      if (comma < 0) return out;
      p = comma + 1;
    }
  }

  private payloadContains(needle: string, negate: boolean): Leaf {
    if (needle === '') return leaf(negate ? () => false : MATCH_ALL);
    this.needsPayload = true;
    const text = this.text;
    let test: (t: string) => boolean;
    if (needle.toLowerCase() === needle.toUpperCase()) {
      // No letters with case: a plain substring search is case-insensitive already.
      test = (t) => t.includes(needle);
    } else {
      const re = new RegExp(escapeRegExp(needle), 'i');
      test = (t) => re.test(t);
    }
    return leaf(negate ? (s) => !test(text(s)) : (s) => test(text(s)), COST_PAYLOAD);
  }

  private urlContains(part: 'host' | 'url', needle: string, negate: boolean): Leaf {
    const lowerNeedle = needle.toLowerCase();
    // Rows of one connection share a URL string: cache its lower-cased form.
    let lastUrl: string | null = null;
    let lastValue = '';
    const cache = new Map<string, string>();
    const normalized = (url: string): string => {
      if (url === lastUrl) return lastValue;
      let v = cache.get(url);
      if (v === undefined) {
        v = part === 'host' ? hostOf(url) : url.toLowerCase();
        if (cache.size >= 4096) cache.clear();
        cache.set(url, v);
      }
      lastUrl = url;
      lastValue = v;
      return v;
    };
    const fn: FilterPredicate = negate
      ? (s) => s.url !== null && !normalized(s.url).includes(lowerNeedle)
      : (s) => s.url !== null && normalized(s.url).includes(lowerNeedle);
    return leaf(fn, COST_URL);
  }
}

/** An operator at `i`, if any: `:`, `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`. */
function readOp(src: string, i: number): { op: Op; len: number } | null {
  const c = src.charCodeAt(i);
  const d = src.charCodeAt(i + 1);
  switch (c) {
    case 58: // :
      return { op: '=', len: 1 };
    case 61: // =
      return { op: '=', len: d === 61 ? 2 : 1 };
    case 33: // !
      return d === 61 ? { op: '!=', len: 2 } : null;
    case 60: // <
      return d === 61 ? { op: '<=', len: 2 } : { op: '<', len: 1 };
    case 62: // >
      return d === 61 ? { op: '>=', len: 2 } : { op: '>', len: 1 };
  }
  return null;
}

function parseNumber(s: string, sizes: boolean): number | null {
  const m = INT_RE.exec(s);
  if (m) {
    const v = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
    return Number.isSafeInteger(v) ? v : null;
  }
  if (!sizes) return null;
  const z = SIZE_RE.exec(s);
  if (!z) return null;
  const unit = SIZE_UNITS.get(z[2]!.toLowerCase());
  if (unit === undefined) return null;
  const v = parseFloat(z[1]!) * unit;
  return Number.isFinite(v) ? v : null;
}

function example(field: Field, name: string): string {
  switch (field) {
    case 'from':
      return `${name}:client`;
    case 'kind':
      return `${name}:text`;
    case 'opcode':
      return `${name}:9`;
    case 'conn':
      return `${name}:3`;
    case 'host':
      return `${name}:example`;
    case 'url':
      return `${name}:/chat`;
    case 'payload':
      return `${name}:hello`;
    case 'len':
      return `${name}>100`;
    case 'code':
      return `${name}:1000`;
    case 'violations':
      return `${name}>1`;
  }
}

class Parser {
  private tok: Token;
  private depth = 0;

  constructor(
    private readonly lexer: Lexer,
    private readonly src: string,
  ) {
    this.tok = lexer.next();
  }

  parse(): Node {
    const node = this.or(null);
    if (this.tok.k === ')') throw problem("unmatched ')'", this.tok.pos, 1);
    return node;
  }

  private advance(): void {
    this.tok = this.lexer.next();
  }

  /** The current token's kind, read through a call so TypeScript doesn't keep a stale narrowing across advance(). */
  private kind(): Token['k'] {
    return this.tok.k;
  }

  private text(t: Token): string {
    return clip(this.src.slice(t.pos, t.pos + t.len));
  }

  private or(prev: Token | null): Node {
    const items = [this.and(prev)];
    while (this.tok.k === 'or') {
      const op = this.tok;
      this.advance();
      items.push(this.and(op));
    }
    return items.length === 1 ? items[0]! : { t: 'or', items };
  }

  private and(prev: Token | null): Node {
    const items = [this.unary(prev)];
    for (;;) {
      const t = this.tok;
      if (t.k === 'and') {
        this.advance();
        items.push(this.unary(t));
      } else if (t.k === 'atom' || t.k === 'not' || t.k === '(') {
        items.push(this.unary(null));
      } else break;
    }
    return items.length === 1 ? items[0]! : { t: 'and', items };
  }

  /** Any number of nots, folded by parity (no recursion per `!`). */
  private unary(prev: Token | null): Node {
    let negate = false;
    while (this.tok.k === 'not') {
      prev = this.tok;
      negate = !negate;
      this.advance();
    }
    const node = this.primary(prev);
    return negate ? { t: 'not', item: node } : node;
  }

  private primary(prev: Token | null): Node {
    const t = this.tok;
    switch (t.k) {
      case 'atom':
        this.advance();
        return t.node!;
      case '(': {
        if (this.depth >= MAX_DEPTH) throw problem(`too many nested parentheses (at most ${MAX_DEPTH})`, t.pos, 1);
        this.advance();
        if (this.kind() === ')') throw problem('empty parentheses', t.pos, this.tok.pos + 1 - t.pos);
        this.depth++;
        const inner = this.or(t);
        this.depth--;
        if (this.kind() !== ')') throw problem(`expected ')' to close '(' at ${t.pos}`, this.tok.pos, 1);
        this.advance();
        return inner;
      }
      case 'eof':
        throw problem(prev ? `expected an expression after '${this.text(prev)}'` : 'expected an expression', t.pos, 1);
      case ')':
        throw problem(prev ? `expected an expression after '${this.text(prev)}', found ')'` : "unmatched ')'", t.pos, 1);
      default:
        // 'and' / 'or' where an operand should be ('not' is consumed by unary)
        throw problem(
          prev
            ? `expected an expression after '${this.text(prev)}', found '${this.text(t)}'`
            : `expected an expression before '${this.text(t)}'`,
          t.pos,
          t.len,
        );
    }
  }
}

/** Flatten nested and/or, order operands cheapest first, and build closures. */
function compile(node: Node): Leaf {
  switch (node.t) {
    case 'leaf':
      return node;
    case 'not': {
      const inner = compile(node.item);
      const f = inner.fn;
      return leaf((s) => !f(s), inner.cost);
    }
    default: {
      const flat: Node[] = [];
      flatten(node.t, node, flat);
      // Array.prototype.sort is stable: equal costs keep the order typed.
      const parts = flat.map(compile).sort((a, b) => a.cost - b.cost);
      let cost = 0;
      for (const p of parts) cost += p.cost;
      const fns = parts.map((p) => p.fn);
      return leaf(node.t === 'and' ? every(fns) : some(fns), cost);
    }
  }
}

function flatten(t: 'and' | 'or', node: Node, out: Node[]): void {
  if (node.t === t) for (const item of node.items) flatten(t, item, out);
  else out.push(node);
}

function every(fns: FilterPredicate[]): FilterPredicate {
  const [a, b, c] = fns;
  switch (fns.length) {
    case 1:
      return a!;
    case 2:
      return (s) => a!(s) && b!(s);
    case 3:
      return (s) => a!(s) && b!(s) && c!(s);
  }
  const n = fns.length;
  return (s) => {
    for (let i = 0; i < n; i++) if (!fns[i]!(s)) return false;
    return true;
  };
}

function some(fns: FilterPredicate[]): FilterPredicate {
  const [a, b, c] = fns;
  switch (fns.length) {
    case 1:
      return a!;
    case 2:
      return (s) => a!(s) || b!(s);
    case 3:
      return (s) => a!(s) || b!(s) || c!(s);
  }
  const n = fns.length;
  return (s) => {
    for (let i = 0; i < n; i++) if (fns[i]!(s)) return true;
    return false;
  };
}

/**
 * Parse and compile a filter expression. Never throws. A blank source matches
 * every row. The predicate calls `payloadText()` at most once per row, and
 * only for rows that reach a payload test.
 */
export function parseFilter(source: string): FilterParseResult {
  try {
    if (source.trim() === '') return { ok: true, predicate: MATCH_ALL, source };
    // Per-row payload cache shared by every payload leaf of this filter.
    let rowText: string | null = null;
    const text = (s: FilterSubject): string => {
      if (rowText === null) rowText = s.payloadText();
      return rowText;
    };
    const lexer = new Lexer(source, text);
    const root = compile(new Parser(lexer, source).parse()).fn;
    const predicate: FilterPredicate = lexer.needsPayload
      ? (s) => {
          rowText = null;
          const r = root(s);
          rowText = null; // don't keep a large payload alive
          return r;
        }
      : root;
    return { ok: true, predicate, source };
  } catch (e) {
    if (e instanceof SyntaxProblem) return { ok: false, error: e.message, position: e.position, length: e.length };
    // Defensive: nothing above should throw anything else.
    return { ok: false, error: 'filter too complex', position: 0, length: Math.max(1, source.length) };
  }
}
