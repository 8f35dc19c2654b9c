import type { Field, Keyword } from './fields.js';
import type { JsonStep, Op } from './lexer.js';

export type NumberField = Extract<Field, { type: 'number' | 'size' }>;
export type ChoiceField = Extract<Field, { type: 'direction' | 'kind' }>;
export type TextField = Extract<Field, { type: 'text' }>;
export type PayloadField = Extract<Field, { type: 'payload' }>;
export type EntryTextField = Extract<Field, { type: 'entry-text' }>;
export type EntryIsField = Extract<Field, { type: 'entry-is' }>;
export type EntryDurationField = Extract<Field, { type: 'entry-duration' }>;
export type JsonField = Extract<Field, { type: 'json' }>;

/** What a json path tests at its end: that it is there, or its value (`=`, `!=` exactly; `~` contains, any case). */
export type JsonTest = { op: 'exists' } | { op: '=' | '!=' | '~'; value: string };

/** A parsed filter: what the parser checked and the compiler turns into a predicate. */
export type FilterNode =
  | { t: 'and' | 'or'; items: FilterNode[] }
  | { t: 'not'; item: FilterNode }
  | { t: 'keyword'; keyword: Keyword }
  /** `values` has one number for `<` `<=` `>` `>=`, one or more for `=` and `!=`. */
  | { t: 'compare'; field: NumberField; op: Op; values: number[] }
  /** The row's value is (or, negated, is not) one of `values`. */
  | { t: 'one-of'; field: ChoiceField; negate: boolean; values: string[] }
  | { t: 'contains'; field: TextField | PayloadField; negate: boolean; needle: string }
  | { t: 'regex'; field: PayloadField; re: RegExp }
  /** The entry-field forms of compare, one-of and contains: any entry's value (negated: some entry has one and none matches). */
  | { t: 'entry-compare'; field: EntryDurationField; op: Op; values: number[] }
  | { t: 'entry-is'; field: EntryIsField; negate: boolean; values: string[] }
  | { t: 'entry-contains'; field: EntryTextField; negate: boolean; needle: string }
  /** The value at `path` in any of the row's JSON values passes `test` (`!=`: the path is in one, and no value there is equal). */
  | { t: 'json'; field: JsonField; path: JsonStep[]; test: JsonTest };
