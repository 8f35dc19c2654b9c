import type { FilterPredicate, FilterSubject } from './filter.js';
import type { Op } from './lexer.js';
import type { FilterNode, PayloadField, TextField } from './syntax-tree.js';

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

/**
 * Turns a syntax tree into one predicate: nested and/or flattened, their operands ordered
 * cheapest first, and each payload field read at most once per row (then let go).
 */
export function compile(tree: FilterNode): FilterPredicate {
  const memo = new PayloadMemo();
  const root = build(tree, memo).fn;
  return memo.around(root);
}

function build(node: FilterNode, memo: PayloadMemo): Leaf {
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

/** Per-row cache of the payload fields one filter reads. */
class PayloadMemo {
  private readonly slots: Array<{ value: string | null }> = [];
  private readonly readers = new Map<PayloadField, (s: FilterSubject) => string>();

  reader(field: PayloadField): (s: FilterSubject) => string {
    let reader = this.readers.get(field);
    if (reader === undefined) {
      const slot: { value: string | null } = { value: null };
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
  let last: string | null = null;
  let lastValue = '';
  const cache = new Map<string, string>();
  const normalized = (raw: string): string => {
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
