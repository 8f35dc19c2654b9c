import { didYouMean } from './did-you-mean.js';
import type { FilterError } from './filter.js';
import { CHOICES, exampleFor, FIELD_NAMES, FIELDS, fieldNamed, keywordNamed, type EntryChoices } from './fields.js';
import { Lexer, type FieldValue, type Token } from './lexer.js';
import { parseDuration, parseNumber } from './parse-number.js';
import type { FilterNode, JsonField, NumberField, PayloadField } from './syntax-tree.js';

export type ParseResult = { ok: true; tree: FilterNode } | FilterError;

/** Parses a (non-blank) filter into its syntax tree, or says what is wrong and where. Never throws. */
export function parse(source: string): ParseResult {
  try {
    return { ok: true, tree: new Parser(source).parse() };
  } catch (e) {
    if (e instanceof SyntaxProblem) return { ok: false, error: e.message, position: e.position, length: e.length };
    // Defensive: nothing above should throw anything else.
    return { ok: false, error: 'filter too complex', position: 0, length: Math.max(1, source.length) };
  }
}

const MAX_DEPTH = 200;

/** What bare words, quoted strings and regular expressions search. */
const PAYLOAD = FIELDS.find((f): f is PayloadField => f.type === 'payload')!;
/** What `#3` is short for: conn:3. */
const CONN = FIELDS.find((f): f is NumberField => f.name === 'conn' && f.type === 'number')!;

/** How the numbers of a field are read, and what an error calls them. */
interface NumberSyntax {
  noun: string;
  parse: (s: string) => number | null;
  /** Added to an error about a value that is not one. */
  hint: string;
}
/** The fields with numbers, and how each reads them. */
const NUMBER_SYNTAX: Record<'number' | 'size' | 'entry-duration', NumberSyntax> = {
  number: { noun: 'a number', parse: (s) => parseNumber(s, false), hint: '' },
  size: { noun: 'a number', parse: (s) => parseNumber(s, true), hint: '' },
  'entry-duration': { noun: 'a duration', parse: parseDuration, hint: ' (units us, ms, s)' },
};

/** Thrown inside the parser to leave the recursion, returned by parse(). Not an Error: no stack capture needed. */
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

type Lexeme = Exclude<Token, { k: 'error' }>;
type Atom = Extract<Lexeme, { k: 'word' | 'quoted' | 'regex' | 'hash' | 'field' | 'path' }>;

function isAtom(t: Lexeme): t is Atom {
  return t.k === 'word' || t.k === 'quoted' || t.k === 'regex' || t.k === 'hash' || t.k === 'field' || t.k === 'path';
}

/** Recursive descent with one token of lookahead; each atom is checked as it is consumed, left to right. */
class Parser {
  private readonly lexer: Lexer;
  private tok: Lexeme;
  private depth = 0;

  constructor(private readonly src: string) {
    this.lexer = new Lexer(src);
    this.tok = this.next();
  }

  parse(): FilterNode {
    const node = this.or(null);
    if (this.tok.k === ')') throw problem("unmatched ')'", this.tok.pos, 1);
    return node;
  }

  private next(): Lexeme {
    const t = this.lexer.next();
    if (t.k === 'error') throw problem(t.message, t.pos, t.len);
    return t;
  }

  private advance(): void {
    this.tok = this.next();
  }

  /** The current token's kind, read through a call so TypeScript doesn't keep a stale narrowing across advance(). */
  private kind(): Lexeme['k'] {
    return this.tok.k;
  }

  private text(t: Lexeme): string {
    return clip(this.src.slice(t.pos, t.pos + t.len));
  }

  private or(prev: Lexeme | null): FilterNode {
    const items = [this.and(prev)];
    while (this.tok.k === 'or') {
      const op = this.tok;
      this.advance();
      items.push(this.and(op));
    }
    return items.length === 1 ? items[0]! : { t: 'or', items };
  }

  private and(prev: Lexeme | null): FilterNode {
    const items = [this.unary(prev)];
    for (;;) {
      const t = this.tok;
      if (t.k === 'and') {
        this.advance();
        items.push(this.unary(t));
      } else if (isAtom(t) || t.k === 'not' || t.k === '(') {
        items.push(this.unary(null));
      } else break;
    }
    return items.length === 1 ? items[0]! : { t: 'and', items };
  }

  /** Any number of nots, folded by parity (no recursion per `!`). */
  private unary(prev: Lexeme | null): FilterNode {
    let negate = false;
    while (this.tok.k === 'not') {
      prev = this.tok;
      negate = !negate;
      this.advance();
    }
    const node = this.primary(prev);
    return negate ? { t: 'not', item: node } : node;
  }

  private primary(prev: Lexeme | null): FilterNode {
    const t = this.tok;
    if (isAtom(t)) {
      // Checked before the next token is read, so errors come in the order they appear.
      const node = this.atom(t);
      this.advance();
      return node;
    }
    switch (t.k) {
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

  private atom(t: Atom): FilterNode {
    switch (t.k) {
      case 'word':
        return this.word(t.text, t.pos, t.len);
      case 'quoted':
        return { t: 'contains', field: PAYLOAD, negate: false, needle: t.text };
      case 'regex':
        return { t: 'regex', field: PAYLOAD, re: t.re };
      case 'hash': {
        const from = t.pos + 1;
        const to = t.pos + t.len;
        if (to === from) throw problem("expected a connection number after '#'", to, 1);
        return { t: 'compare', field: CONN, op: '=', values: this.numberList(from, to, "'#'", NUMBER_SYNTAX.number) };
      }
      case 'field':
        return this.field(t);
      case 'path':
        return this.path(t);
    }
  }

  /** A keyword, or else text to search the payload for. */
  private word(text: string, pos: number, len: number): FilterNode {
    const lower = text.toLowerCase();
    const keyword = keywordNamed(lower);
    if (keyword !== undefined) return { t: 'keyword', keyword };
    const field = fieldNamed(lower);
    if (field !== undefined) {
      const needs = field.type === 'json' ? 'a path' : 'a value';
      throw problem(`'${text}' needs ${needs}, e.g. ${exampleFor(field, lower)} (quote it to search for the word)`, pos, len);
    }
    return { t: 'contains', field: PAYLOAD, negate: false, needle: text };
  }

  /** `name op value`: the lexer has read the name and the operator; the value comes next. */
  private field(t: Extract<Atom, { k: 'field' }>): FilterNode {
    const { name, op, opPos, opLen } = t;
    const lower = name.toLowerCase();
    const field = fieldNamed(lower);
    if (field === undefined) {
      const hint = didYouMean(name, FIELD_NAMES);
      const what = keywordNamed(lower) !== undefined ? `'${name}' is a keyword, not a field` : `unknown field '${clip(name)}'`;
      throw problem(`${what}${hint || ' (to search for it, put it in quotes)'}`, t.pos, t.len);
    }
    if (field.type === 'json') throw problem(`expected a path after '${name}' (e.g. ${exampleFor(field, lower)})`, opPos, opLen);
    const opText = this.src.slice(opPos, opPos + opLen);
    if (op === '~') throw problem(`'~' is for json paths (e.g. json.type~subscribe); use ${exampleFor(field, lower)}`, opPos, opLen);
    const what = `'${name}${opText}'`;
    const numbers = field.type === 'number' || field.type === 'size' || field.type === 'entry-duration' ? NUMBER_SYNTAX[field.type] : null;
    if (numbers === null && op !== '=' && op !== '!=') {
      throw problem(`'${name}' can't be compared with '${opText}' (use ${exampleFor(field, lower)} or ${name}!=…)`, opPos, opLen);
    }
    const value = this.lexer.fieldValue();
    if ('message' in value) throw problem(value.message, value.pos, value.len);
    if (value.end === value.at) throw problem(`expected ${numbers?.noun ?? 'a value'} after ${what}`, value.at, 1);
    const negate = op === '!=';
    switch (field.type) {
      case 'direction':
      case 'kind': {
        const choice = CHOICES[field.type];
        const groups = this.wordList(value, what, (w, at, len) => {
          const meaning = choice.words.get(w.toLowerCase());
          if (meaning === undefined) {
            throw problem(`unknown ${choice.noun} '${clip(w)}'${didYouMean(w, choice.words.keys()) || choice.otherwise}`, at, len);
          }
          return meaning;
        });
        return { t: 'one-of', field, negate, values: [...new Set(groups.flat())] };
      }
      case 'text':
      case 'payload':
        return { t: 'contains', field, negate, needle: value.text };
      case 'entry-text':
        return { t: 'entry-contains', field, negate, needle: value.text };
      case 'entry-is':
        return { t: 'entry-is', field, negate, values: this.entryValues(field.choices, value, what) };
      case 'number':
      case 'size':
      case 'entry-duration': {
        const values = this.numberList(value.from, value.to, what, NUMBER_SYNTAX[field.type], value.quoted ? value.text : undefined);
        if (values.length > 1 && op !== '=' && op !== '!=') {
          throw problem(`a list of values needs ':' or '!=', not '${opText}'`, opPos, opLen);
        }
        return field.type === 'entry-duration' ? { t: 'entry-compare', field, op, values } : { t: 'compare', field, op, values };
      }
    }
  }

  /**
   * The values of an entry field: its choices (any case; a comma list, and did-you-mean for
   * others), or else exactly as typed: a bare comma list, or one quoted value.
   */
  private entryValues(choices: EntryChoices | undefined, value: FieldValue, what: string): string[] {
    if (choices === undefined) return value.quoted ? [value.text] : this.wordList(value, what, (w) => w);
    const { noun, words } = choices;
    const found = this.wordList(value, what, (w, at, len) => {
      const lower = w.toLowerCase();
      if (!words.includes(lower)) throw problem(`unknown ${noun} '${clip(w)}'${didYouMean(w, words) || ` (use one of ${words.join(', ')})`}`, at, len);
      return lower;
    });
    return [...new Set(found)];
  }

  /** `json.path`, alone (the path is there) or with `=`, `!=` or `~` and a value. */
  private path(t: Extract<Atom, { k: 'path' }>): FilterNode {
    const field = fieldNamed(t.name.toLowerCase()) as JsonField;
    const { op, opPos, opLen, steps } = t;
    if (op === null) return { t: 'json', field, path: steps, test: { op: 'exists' } };
    const opText = this.src.slice(opPos, opPos + opLen);
    if (op !== '=' && op !== '!=' && op !== '~') {
      throw problem(`a json path can't be compared with '${opText}' (use =, != or ~)`, opPos, opLen);
    }
    const value = this.lexer.fieldValue();
    if ('message' in value) throw problem(value.message, value.pos, value.len);
    if (value.end === value.at) throw problem(`expected a value after '${clip(this.src.slice(t.pos, opPos + opLen))}'`, value.at, 1);
    return { t: 'json', field, path: steps, test: { op, value: value.text } };
  }

  /** Comma-separated words; positions are exact for unquoted values. */
  private wordList<T>(value: FieldValue, what: string, each: (w: string, at: number, len: number) => T): T[] {
    const { text, quoted, from } = value;
    const out: T[] = [];
    let p = 0;
    for (;;) {
      const comma = text.indexOf(',', p);
      const e = comma < 0 ? text.length : comma;
      const w = text.slice(p, e).trim();
      const pos = quoted ? from : from + p;
      if (w === '') throw problem(`expected a value ${p === 0 ? `after ${what}` : "after ','"}`, pos, 1);
      out.push(each(w, pos, quoted ? text.length : e - p));
      if (comma < 0) return out;
      p = comma + 1;
    }
  }

  /** Comma-separated numbers in src[from, to) as `syntax` reads them (or in `quotedValue`, then errors point at `from`). */
  private numberList(from: number, to: number, what: string, syntax: NumberSyntax, quotedValue?: string): number[] {
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
      const num = syntax.parse(item.trim());
      if (num === null) {
        throw problem(item === '' ? `expected ${syntax.noun} ${after}` : `expected ${syntax.noun} ${after}, not '${clip(item)}'${syntax.hint}`, pos, len);
      }
      out.push(num);
      if (comma < 0) return out;
      p = comma + 1;
    }
  }
}

/** Shortens user text quoted back in a message. */
function clip(s: string): string {
  return s.length > 32 ? `${s.slice(0, 31)}…` : s;
}
