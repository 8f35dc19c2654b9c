import type { Field, Keyword } from './fields.js';
import type { Op } from './lexer.js';

export type NumberField = Extract<Field, { type: 'number' | 'size' }>;
export type ChoiceField = Extract<Field, { type: 'direction' | 'kind' }>;
export type TextField = Extract<Field, { type: 'text' }>;
export type PayloadField = Extract<Field, { type: 'payload' }>;

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
  | { t: 'regex'; field: PayloadField; re: RegExp };
