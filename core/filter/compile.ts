import type { AppEntry } from '../app/app-entry.js';
import type { FilterPredicate, FilterSubject } from './filter.js';
import type { JsonStep, Op } from './lexer.js';
import type { FilterNode, JsonTest, TextField } from './syntax-tree.js';

/** Relative costs, to test the operands of each and/or cheapest first. */
const COST_FIELD = 1;
const COST_TEXT = 3;
const COST_PAYLOAD = 10;
const COST_REGEX = 20;

interface Leaf {
  cost: number;
  fn: FilterPredicate;
}

const MATCH_ALL: FilterPredicate = () => true;
const MATCH_NONE: FilterPredicate = () => false;

const leaf = (fn: FilterPredicate, cost = COST_FIELD): Leaf => ({ cost, fn });

/** A value an `id:` compares with as a number too: `12`, `-3`, as JavaScript writes the number. */
const CANONICAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
/** A JSON number, which a json path's `=` compares with numbers. */
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * Turns a syntax tree into one predicate: nested and/or flattened, their operands ordered
 * cheapest first, and each payload or JSON field read at most once per row (then let go).
 */
export function compile(tree: FilterNode): FilterPredicate {
  const memo = new RowMemo();
  const root = build(tree, memo).fn;
  return memo.around(root);
}

function build(node: FilterNode, memo: RowMemo): Leaf {
  switch (node.t) {
    case 'keyword':
      return leaf(node.keyword.test);
    case 'compare':
      return leaf(numberTest(node.field.read, node.op, node.values));
    case 'one-of':
      return leaf(oneOf(node.field.read, node.values, node.negate));
    case 'contains':
      return node.field.type === 'text'
        ? textContains(node.field, node.needle, node.negate)
        : payloadContains(memo.reader(node.field), node.needle, node.negate);
    case 'regex':
      return regexTest(memo.reader(node.field), node.re);
    case 'entry-compare':
      return leaf(entryTest(node.field.entry, numberCheck(node.op, node.values), node.op === '!='));
    case 'entry-is':
      return leaf(entryTest(node.field.entry, isOneOf(node.values), node.negate));
    case 'entry-contains':
      return leaf(entryTest(node.field.entry, containsIgnoringCase(node.needle), node.negate));
    case 'json':
      return jsonTest(memo.reader(node.field), node.path, node.test);
    case 'not': {
      const inner = build(node.item, memo);
      const f = inner.fn;
      return leaf((s) => !f(s), inner.cost);
    }
    case 'and':
    case 'or': {
      const flat: FilterNode[] = [];
      flatten(node.t, node, flat);
      // Array.prototype.sort is stable: equal costs keep the order typed.
      const parts = flat.map((n) => build(n, memo)).sort((a, b) => a.cost - b.cost);
      let cost = 0;
      for (const p of parts) cost += p.cost;
      const fns = parts.map((p) => p.fn);
      return leaf(node.t === 'and' ? every(fns) : some(fns), cost);
    }
  }
}

function flatten(t: 'and' | 'or', node: FilterNode, out: FilterNode[]): void {
  if (node.t === t) for (const item of node.items) flatten(t, item, out);
  else out.push(node);
}

/** A field read at most once per row: a payload, or a row's JSON values. */
interface MemoField<T> {
  read: (s: FilterSubject) => T;
}

/** Per-row cache of the payload and JSON fields one filter reads. */
class RowMemo {
  private readonly slots: Array<{ value: unknown }> = [];
  private readonly readers = new Map<MemoField<unknown>, (s: FilterSubject) => unknown>();

  reader<T extends {}>(field: MemoField<T>): (s: FilterSubject) => T {
    let reader = this.readers.get(field) as ((s: FilterSubject) => T) | undefined;
    if (reader === undefined) {
      const slot: { value: T | null } = { value: null };
      const read = field.read;
      reader = (s) => (slot.value ??= read(s));
      this.slots.push(slot);
      this.readers.set(field, reader);
    }
    return reader;
  }

  /** The root predicate, clearing the cache before each row and after it (so a large payload is not kept alive). */
  around(root: FilterPredicate): FilterPredicate {
    const slots = this.slots;
    if (slots.length === 0) return root;
    if (slots.length === 1) {
      const slot = slots[0]!;
      return (s) => {
        slot.value = null;
        const r = root(s);
        slot.value = null;
        return r;
      };
    }
    return (s) => {
      for (const slot of slots) slot.value = null;
      const r = root(s);
      for (const slot of slots) slot.value = null;
      return r;
    };
  }
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

/** A test of one number against `values` with `op`; for `!=`, the `=` test (the caller negates it). */
function numberCheck(op: Op, values: readonly number[]): (v: number) => boolean {
  const n = values[0]!;
  switch (op) {
    case '<':
      return (v) => v < n;
    case '<=':
      return (v) => v <= n;
    case '>':
      return (v) => v > n;
    case '>=':
      return (v) => v >= n;
    case '=':
    case '!=':
      if (values.length === 1) return (v) => v === n;
      {
        const set = new Set(values);
        return (v) => set.has(v);
      }
  }
}

/** Is one of `values` exactly; a value written as an integer also matches that number (`12`: 12 or "12"). */
function isOneOf(values: readonly string[]): (v: string | number) => boolean {
  const strings = new Set(values);
  const numbers = new Set(values.filter((v) => CANONICAL_INTEGER.test(v)).map(Number));
  return (v) => (typeof v === 'number' ? numbers.has(v) : strings.has(v));
}

/** Contains `needle`, ignoring case; the lower-cased strings are cached (entry names repeat). */
function containsIgnoringCase(needle: string): (v: string) => boolean {
  const lowerNeedle = needle.toLowerCase();
  const lower = lowerCaseCache();
  return (v) => lower(v).includes(lowerNeedle);
}

/**
 * Any of the row's application entries has a value (`get`) that passes `check`; negated, some
 * entry has a value and none passes. A row without entries costs one null check.
 */
function entryTest<V>(get: (e: AppEntry) => V | undefined, check: (v: V) => boolean, negate: boolean): FilterPredicate {
  return (s) => {
    const app = s.app;
    return app !== null && someValue(app, get, check, negate);
  };
}

/** Whether some item's value passes `check`; negated, whether some item has a value and none passes. */
function someValue<T, V>(items: readonly T[], get: (x: T) => V | undefined, check: (v: V) => boolean, negate: boolean): boolean {
  let seen = false;
  for (const x of items) {
    const v = get(x);
    if (v === undefined) continue;
    if (check(v)) return !negate;
    seen = true;
  }
  return negate && seen;
}

/** A json path tested in each of the row's JSON values (read once per row); costs what a payload test costs. */
function jsonTest(roots: (s: FilterSubject) => readonly unknown[], path: readonly JsonStep[], test: JsonTest): Leaf {
  const at = (root: unknown) => valueAt(root, path);
  const check = test.op === 'exists' ? () => true : test.op === '~' ? jsonContains(test.value) : jsonEquals(test.value);
  const negate = test.op === '!=';
  return leaf((s) => someValue(roots(s), at, check, negate), COST_PAYLOAD);
}

/** The value at `path` in `root`, or undefined: keys step into objects (own keys only), indices into arrays. */
function valueAt(root: unknown, path: readonly JsonStep[]): unknown {
  let v = root;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(v) || step >= v.length) return undefined;
      v = v[step];
    } else {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, step)) return undefined;
      v = (v as Record<string, unknown>)[step];
    }
  }
  return v;
}

/** Equal to what was typed: a string as it is, a number (`42`, `1e3`), true, false or null. */
function jsonEquals(text: string): (v: unknown) => boolean {
  const num = JSON_NUMBER.test(text) ? Number(text) : NaN;
  return (v) => {
    switch (typeof v) {
      case 'string':
        return v === text;
      case 'number':
        return v === num;
      case 'boolean':
        return (v ? 'true' : 'false') === text;
      default:
        return v === null && text === 'null';
    }
  };
}

/** A string, number, boolean or null whose text contains `needle`, ignoring case; objects and arrays never do. */
function jsonContains(needle: string): (v: unknown) => boolean {
  const lowerNeedle = needle.toLowerCase();
  return (v) => {
    if (typeof v === 'string') return v.toLowerCase().includes(lowerNeedle);
    return (typeof v === 'number' || typeof v === 'boolean' || v === null) && String(v).includes(lowerNeedle);
  };
}

/** The row's value is (not) one of `values`; false for a row without the value (an error has no sender or kind), whether negated or not. */
function oneOf(get: (s: FilterSubject) => string | null, values: readonly string[], negate: boolean): FilterPredicate {
  if (values.length === 1) {
    const v = values[0]!;
    return negate ? (s) => {
      const x = get(s);
      return x !== null && x !== v;
    } : (s) => get(s) === v;
  }
  const set = new Set<string | null>(values);
  return negate ? (s) => {
    const x = get(s);
    return x !== null && !set.has(x);
  } : (s) => set.has(get(s));
}

/** Contains, ignoring case; false for rows without the value, whether negated or not. */
function textContains(field: TextField, needle: string, negate: boolean): Leaf {
  const { read, part } = field;
  const lowerNeedle = needle.toLowerCase();
  // Rows of one connection share a URL string: cache the lower-cased part per string.
  const normalized = lowerCaseCache(part);
  const fn: FilterPredicate = negate
    ? (s) => {
        const raw = read(s);
        return raw !== null && !normalized(raw).includes(lowerNeedle);
      }
    : (s) => {
        const raw = read(s);
        return raw !== null && normalized(raw).includes(lowerNeedle);
      };
  return leaf(fn, COST_TEXT);
}

/** `part` of a string (or the string), lower-cased, cached per string: the last one, and up to 4096 others. */
function lowerCaseCache(part?: (value: string) => string): (raw: string) => string {
  let last: string | null = null;
  let lastValue = '';
  const cache = new Map<string, string>();
  return (raw) => {
    if (raw === last) return lastValue;
    let v = cache.get(raw);
    if (v === undefined) {
      v = (part ? part(raw) : raw).toLowerCase();
      if (cache.size >= 4096) cache.clear();
      cache.set(raw, v);
    }
    last = raw;
    lastValue = v;
    return v;
  };
}

/** Contains, ignoring case; the empty string is in every payload, so it needs no read. */
function payloadContains(text: (s: FilterSubject) => string, needle: string, negate: boolean): Leaf {
  if (needle === '') return leaf(negate ? MATCH_NONE : MATCH_ALL);
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

function regexTest(text: (s: FilterSubject) => string, re: RegExp): Leaf {
  const fn: FilterPredicate = re.sticky
    ? (s) => {
        re.lastIndex = 0;
        return re.test(text(s));
      }
    : (s) => re.test(text(s));
  return leaf(fn, COST_REGEX);
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
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
