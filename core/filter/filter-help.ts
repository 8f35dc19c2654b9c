import { exampleFor, FIELDS, KEYWORDS } from './fields.js';

/** [syntax, meaning]; alternatives in the syntax are two spaces apart. */
export type HelpRow = readonly [syntax: string, meaning: string];

const NUMERIC_FIELDS = FIELDS.filter((f) => f.type === 'number' || f.type === 'size' || f.type === 'entry-duration').map((f) => f.name);

/** What is not a field or a keyword: atoms of their own, operators and grouping. */
const SYNTAX_ROWS: readonly HelpRow[] = [
  ['hello  "hello world"  \'hello world\'', 'the payload contains the text (any case); quote keywords, field names, spaces, ( ) & |'],
  ['/pattern/flags', 'the payload matches a regular expression (case-sensitive unless i; flags i m s u y)'],
  ['#3  #1,4,7', 'the same as conn:3, conn:1,4,7'],
  ['field:value  field=value', 'is (numbers, kinds, senders, protocols, ids; a comma list means any of them) or contains (text, any case)'],
  ['field!=value', 'negated field test, e.g. from!=client, host!=cdn, conn!=1,2; false for a row without the value'],
  ['field<value  field>=value', `numbers compare with < <= > >=: ${NUMERIC_FIELDS.join(', ')}`],
  [
    'json.a.b  json.items[0].id=7',
    'a JSON path: .key, [n], ["any key"]; alone, the path is there; = and != compare a string, number, true, false or null exactly; ~ contains (any case)',
  ],
  ['a and b  a && b  a & b  a b', 'both (terms side by side mean and)'],
  ['a or b  a || b  a | b', 'either'],
  ['not a  !a  -a', 'negation'],
  ['( … )', 'grouping; not binds tighter than and, and tighter than or'],
];

/** The filter language for the `?` overlay and the README: keywords, fields, then the syntax around them. */
export const FILTER_HELP: readonly HelpRow[] = [...keywordRows(), ...fieldRows(), ...SYNTAX_ROWS];

/** A row per keyword, its aliases alongside; keywords with the same help share a row. */
function keywordRows(): HelpRow[] {
  const words = new Map<string, string[]>();
  for (const k of KEYWORDS) {
    const list = words.get(k.help);
    if (list) list.push(k.name, ...k.aliases);
    else words.set(k.help, [k.name, ...k.aliases]);
  }
  return [...words].map(([help, list]) => [list.join('  '), help]);
}

/** A row per field: its example, and the same with each alias. */
function fieldRows(): HelpRow[] {
  return FIELDS.map((f) => [[f.name, ...f.aliases].map((n) => exampleFor(f, n)).join('  '), f.help]);
}
