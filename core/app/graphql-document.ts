/** GraphQL's three operation types (GraphQL spec §2.3). */
export type OperationType = 'query' | 'mutation' | 'subscription';

/** One operation definition of a document: its type, and its name when it has one. */
export interface OperationHead {
  operation: OperationType;
  name?: string;
}

/**
 * The operations a GraphQL document defines, in order: only what a log needs, read from the
 * text without parsing it (GraphQL spec §2: ignored tokens — whitespace, commas, `#` comments,
 * the BOM — strings, block strings and descriptions are skipped; fragment definitions are passed over; a
 * selection set `{ … }` alone is a query, §2.3). Reading stops at the first thing that is neither
 * an operation nor a fragment (a type-system definition, a syntax error): what was read before
 * it is returned. Linear in the document's length; never throws.
 */
export function operationHeads(document: string): OperationHead[] {
  const heads: OperationHead[] = [];
  const r = new Reader(document);
  for (;;) {
    r.skipIgnored();
    if (r.done()) return heads;
    if (r.peek() === '"') {
      // A description (a string before a definition, as the spec's drafts allow on operations).
      r.skipString();
      continue;
    }
    if (r.peek() === '{') {
      heads.push({ operation: 'query' });
      r.skipBlock();
      continue;
    }
    const keyword = r.name();
    if (keyword === 'query' || keyword === 'mutation' || keyword === 'subscription') {
      r.skipIgnored();
      const name = r.name();
      heads.push(name === null ? { operation: keyword } : { operation: keyword, name });
    } else if (keyword !== 'fragment') {
      return heads;
    }
    if (!r.skipDefinition()) return heads;
  }
}

/**
 * The operation a request runs (GraphQL spec §6.1 GetOperation): the one named `operationName`
 * when given (its name stays even when the document does not define it), else the document's
 * first. Empty when the document says nothing readable.
 */
export function requestedOperation(document: string, operationName?: string): Partial<OperationHead> {
  const heads = operationHeads(document);
  if (operationName === undefined) return heads[0] ?? {};
  const named = heads.find((h) => h.name === operationName);
  return named ?? { name: operationName };
}

const NAME_START = /[_A-Za-z]/;
const NAME_CONTINUE = /[_0-9A-Za-z]/;

/** A cursor over a document's text that steps over the tokens a definition's head and body are made of. */
class Reader {
  private i = 0;

  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  peek(): string {
    return this.s[this.i]!;
  }

  /** Whitespace, line terminators, commas, the BOM and comments (§2.1). */
  skipIgnored(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',' || c === '\uFEFF') this.i++;
      else if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n' && s[this.i] !== '\r') this.i++;
      } else return;
    }
  }

  /** The Name at the cursor (§2.1.9), or null (the cursor stays). */
  name(): string | null {
    const s = this.s;
    if (this.i >= s.length || !NAME_START.test(s[this.i]!)) return null;
    const start = this.i;
    while (this.i < s.length && NAME_CONTINUE.test(s[this.i]!)) this.i++;
    return s.slice(start, this.i);
  }

  /**
   * Steps over the rest of a definition: its variables, type condition and directives (whose
   * values may hold `{`), then its selection set. False when the text ends first.
   */
  skipDefinition(): boolean {
    let depth = 0;
    while (this.step()) {
      const c = this.s[this.i]!;
      if (c === '(' || c === '[') depth++;
      else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
      else if (c === '{' && depth === 0) {
        this.skipBlock();
        return true;
      }
      this.i++;
    }
    return false;
  }

  /** Steps over the `{ … }` at the cursor, nested braces included. */
  skipBlock(): void {
    let depth = 0;
    while (this.step()) {
      const c = this.s[this.i++];
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return;
    }
  }

  /** Moves to the next character that is not ignored and not inside a string; false at the end. */
  private step(): boolean {
    for (;;) {
      this.skipIgnored();
      if (this.done()) return false;
      if (this.s[this.i] !== '"') return true;
      this.skipString();
    }
  }

  /** A string value (§2.9.4): `"…"` with escapes, on one line, or a block string `"""…"""` where `\"""` is escaped. */
  skipString(): void {
    const s = this.s;
    if (s.startsWith('"""', this.i)) {
      const end = blockStringEnd(s, this.i + 3);
      this.i = end;
      return;
    }
    let j = this.i + 1;
    while (j < s.length) {
      const c = s[j];
      if (c === '\\') j += 2;
      else if (c === '"') {
        j++;
        break;
      } else if (c === '\n' || c === '\r') break;
      else j++;
    }
    this.i = Math.min(j, s.length);
  }
}

function blockStringEnd(s: string, from: number): number {
  let j = from;
  for (;;) {
    const q = s.indexOf('"""', j);
    if (q < 0) return s.length;
    if (s[q - 1] !== '\\') return q + 3;
    j = q + 3;
  }
}
