import { fieldNamed, keywordNamed } from './fields.js';

/** A field operator; `:` and `==` read as `=`. */
export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=';
/** An operator after a field name or a json path: `~` (contains) is the json paths' own, the parser tells the others so. */
export type FieldOp = Op | '~';
/** A step of a json path: an object's key (`.key`, `["key"]`) or an array's index (`[0]`). */
export type JsonStep = string | number;

/** Every token has its place in the source: `len` characters from `pos`. */
export type Token = { pos: number; len: number } & (
  | { k: 'eof' | '(' | ')' | 'and' | 'or' | 'not' }
  /** A bare word, or `>` / `<`: a keyword, a field name without a value, or text to search for. */
  | { k: 'word'; text: string }
  /** A quoted string, escapes resolved. */
  | { k: 'quoted'; text: string }
  | { k: 'regex'; re: RegExp }
  /** `#` and the connection numbers after it, up to the end of the word. */
  | { k: 'hash' }
  /** A field name (`len`, or anything that looks like one) and its operator; the value is read with fieldValue(). */
  | { k: 'field'; name: string; op: FieldOp; opPos: number; opLen: number }
  /** A json path (`json.items[0].id`), and its operator if one follows (then the value is read with fieldValue()); `pos`, `len`: the path. */
  | { k: 'path'; name: string; steps: JsonStep[]; op: FieldOp | null; opPos: number; opLen: number }
  | { k: 'error'; message: string }
);

/** A field's value: quoted (escapes resolved) or a bare word. */
export interface FieldValue {
  text: string;
  quoted: boolean;
  /** Where the value starts (its opening quote, if quoted); equal to `end` when there is none. */
  at: number;
  end: number;
  /** The characters inside the quotes, or the word. */
  from: number;
  to: number;
}

export type LexError = { k: 'error'; message: string; pos: number; len: number };

/** Splits a filter into tokens, one per next() call; every call advances or stops, so lexing is linear. */
export class Lexer {
  private pos = 0;

  constructor(private readonly src: string) {}

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
    const tok = (k: 'and' | 'or' | 'not' | '(' | ')', len: number): Token => {
      this.pos = i + len;
      return { k, pos: i, len };
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
        if (src.charCodeAt(i + 1) === 61) return error("expected a field name before '!=' (e.g. len!=5)", i, 2);
        return tok('not', 1);
      case 45: // -
        return tok('not', 1);
      case 62: // >
      case 60: // <
        if (src.charCodeAt(i + 1) === 61) {
          return error(`expected a field name before '${src.slice(i, i + 2)}' (e.g. len${src.slice(i, i + 2)}100)`, i, 2);
        }
        this.pos = i + 1;
        return { k: 'word', text: src[i]!, pos: i, len: 1 };
      case 61: // =
      case 58: // :
        return error(`expected a field name before '${src[i]}'`, i, 1);
      case 35: // #
        return this.hash(i);
      case 34: // "
      case 39: {
        // '
        const q = this.quoted(i);
        if ('message' in q) return q;
        this.pos = q.end;
        return { k: 'quoted', text: q.text, pos: i, len: q.end - i };
      }
      case 47: // /
        return this.regex(i);
    }
    return this.word(i);
  }

  /** The value after the operator of the field token just returned. */
  fieldValue(): FieldValue | LexError {
    const src = this.src;
    const n = src.length;
    let at = this.pos;
    while (at < n && isSpace(src.charCodeAt(at))) at++;
    const c = src.charCodeAt(at);
    if (at < n && (c === 34 || c === 39)) {
      const q = this.quoted(at);
      if ('message' in q) return q;
      this.pos = q.end;
      return { text: q.text, quoted: true, at, end: q.end, from: at + 1, to: q.end - 1 };
    }
    let end = at;
    while (end < n && !isWordEnd(src.charCodeAt(end))) end++;
    this.pos = end;
    return { text: src.slice(at, end), quoted: false, at, end, from: at, to: end };
  }

  /** A quoted string starting at `start` (the quote). */
  private quoted(start: number): { text: string; end: number } | LexError {
    const src = this.src;
    const n = src.length;
    const q = src.charCodeAt(start);
    let out = '';
    let i = start + 1;
    let chunk = i;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === q) return { text: out + src.slice(chunk, i), end: i + 1 };
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
    return error('unterminated string', start, n - start);
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
    if (i >= n) return error("unterminated regular expression (quote a '/' to search for it)", start, n - start);
    const pattern = src.slice(start + 1, i);
    i++;
    let flags = '';
    while (i < n && !isWordEnd(src.charCodeAt(i))) {
      const f = src[i]!;
      if (!'imsuy'.includes(f)) return error(`unknown regular expression flag '${f}' (use i, m, s, u or y)`, i, 1);
      if (flags.includes(f)) return error(`repeated regular expression flag '${f}'`, i, 1);
      flags += f;
      i++;
    }
    let re: RegExp;
    try {
      re = new RegExp(pattern, flags);
    } catch (e) {
      return error(e instanceof Error ? e.message : 'invalid regular expression', start, i - start);
    }
    this.pos = i;
    return { k: 'regex', re, pos: start, len: i - start };
  }

  /** `#3`, `#1,4`: the numbers are the parser's to read. */
  private hash(start: number): Token {
    const src = this.src;
    let e = start + 1;
    while (e < src.length && !isWordEnd(src.charCodeAt(e))) e++;
    this.pos = e;
    return { k: 'hash', pos: start, len: e - start };
  }

  /** A bare word, an operator word, or a field name and its operator, starting at `start`. */
  private word(start: number): Token {
    const src = this.src;
    const n = src.length;
    let j = start;
    if (isIdentStart(src.charCodeAt(j))) {
      j++;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      const name = src.slice(start, j);
      const lower = name.toLowerCase();
      const field = fieldNamed(lower);
      const next = src.charCodeAt(j);
      if (field?.type === 'json' && (next === 46 /* . */ || next === 91 /* [ */)) return this.path(start, j);
      let k = j;
      // `len > 100` may have spaces; `close >` stays the keyword close followed by the direction >.
      if (field !== undefined && keywordNamed(lower) === undefined) while (k < n && isSpace(src.charCodeAt(k))) k++;
      // `~` after a word that is no field name stays part of the word (`a~b` is text to search for).
      const op = readOp(src, k, field !== undefined);
      if (op !== null) {
        this.pos = k + op.len;
        return { k: 'field', name, op: op.op, opPos: k, opLen: op.len, pos: start, len: j - start };
      }
    }
    let e = j;
    while (e < n && !isWordEnd(src.charCodeAt(e))) e++;
    const text = src.slice(start, e);
    const lower = text.toLowerCase();
    this.pos = e;
    const len = e - start;
    if (lower === 'and' || lower === 'or' || lower === 'not') return { k: lower, pos: start, len };
    return { k: 'word', text, pos: start, len };
  }

  /** A json path: the name (src[start, nameEnd)), its steps, then an operator if one follows (spaces allowed before it). */
  private path(start: number, nameEnd: number): Token {
    const src = this.src;
    const n = src.length;
    const steps: JsonStep[] = [];
    let i = nameEnd;
    for (;;) {
      const c = src.charCodeAt(i);
      let step: { step: JsonStep; end: number } | LexError;
      if (c === 46 /* . */) step = this.key(i);
      else if (c === 91 /* [ */) step = this.bracket(i);
      else break;
      if ('message' in step) return step;
      steps.push(step.step);
      i = step.end;
    }
    let k = i;
    while (k < n && isSpace(src.charCodeAt(k))) k++;
    const name = src.slice(start, nameEnd);
    const op = readOp(src, k, true);
    if (op !== null) {
      this.pos = k + op.len;
      return { k: 'path', name, steps, op: op.op, opPos: k, opLen: op.len, pos: start, len: i - start };
    }
    if (i < n && !isWordEnd(src.charCodeAt(i))) return error(`unexpected '${src[i]}' in a json path (quote other keys: json["a.b"])`, i, 1);
    this.pos = i;
    return { k: 'path', name, steps, op: null, opPos: i, opLen: 0, pos: start, len: i - start };
  }

  /** `.key` at `dot`: the key runs to the next `.`, `[`, `]`, operator, quote or end of word. */
  private key(dot: number): { step: JsonStep; end: number } | LexError {
    const src = this.src;
    let e = dot + 1;
    while (e < src.length && isKeyPart(src.charCodeAt(e))) e++;
    if (e === dot + 1) return error("expected a key after '.' (e.g. json.user.id)", e, 1);
    return { step: src.slice(dot + 1, e), end: e };
  }

  /** `[n]` (an array index) or `["key"]`, `['key']` (any key) at `open`. */
  private bracket(open: number): { step: JsonStep; end: number } | LexError {
    const src = this.src;
    let i = open + 1;
    let step: JsonStep;
    const c = src.charCodeAt(i);
    if (c === 34 || c === 39) {
      const q = this.quoted(i);
      if ('message' in q) return q;
      step = q.text;
      i = q.end;
    } else {
      let e = i;
      while (e < src.length && isDigit(src.charCodeAt(e))) e++;
      // At most 15 digits: every such index is a safe integer.
      if (e === i || e - i > 15) return error("expected an index or a quoted key after '[' (e.g. json.items[0])", i, e - i);
      step = Number(src.slice(i, e));
      i = e;
    }
    if (src.charCodeAt(i) !== 93 /* ] */) return error(`expected ']' to close '[' at ${open}`, i, 1);
    return { step, end: i + 1 };
  }
}

function error(message: string, pos: number, len: number): LexError {
  return { k: 'error', message, pos, len: Math.max(1, len) };
}

/** An operator at `i`, if any: `:`, `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`, and `~` if `tilde`. */
function readOp(src: string, i: number, tilde: boolean): { op: FieldOp; len: number } | null {
  const c = src.charCodeAt(i);
  const d = src.charCodeAt(i + 1);
  switch (c) {
    case 126: // ~
      return tilde ? { op: '~', len: 1 } : null;
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

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029;
}
/** Characters that end a bare word or a bare field value. */
function isWordEnd(c: number): boolean {
  return isSpace(c) || c === 40 /* ( */ || c === 41 /* ) */ || c === 38 /* & */ || c === 124 /* | */;
}
/** Characters of a json path's `.key`: not an end of word, `.`, `[`, `]`, an operator's or a quote. */
function isKeyPart(c: number): boolean {
  return !isWordEnd(c) && c !== 46 && c !== 91 && c !== 93 && c !== 61 && c !== 33 && c !== 60 && c !== 62 && c !== 58 && c !== 126 && c !== 34 && c !== 39;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
