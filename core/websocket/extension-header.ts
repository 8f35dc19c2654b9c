import type { Extension } from './events.js';

/**
 * Parses Sec-WebSocket-Extensions values (RFC 6455 §9.1):
 *   extension-list = 1#( token *( ";" token [ "=" ( token / quoted-string ) ] ) )
 * Several header fields form one list. Returns the extensions in order, or an
 * error naming the first character that breaks the grammar.
 */
export function parseExtensionHeader(values: string[]): { extensions: Extension[]; error: string | null } {
  const extensions: Extension[] = [];
  for (const value of values) {
    const p = new Cursor(value);
    for (;;) {
      p.skipSpace();
      if (p.done()) break;
      if (p.peek() === ',') { p.i++; continue; } // empty list elements are allowed (RFC 7230 §7)
      const name = p.token();
      if (!name) return { extensions, error: p.error('extension name') };
      const ext: Extension = { name, params: {} };
      p.skipSpace();
      while (p.peek() === ';') {
        p.i++;
        p.skipSpace();
        const param = p.token();
        if (!param) return { extensions, error: p.error('parameter name') };
        p.skipSpace();
        let v: string | true = true;
        if (p.peek() === '=') {
          p.i++;
          p.skipSpace();
          const parsed = p.peek() === '"' ? p.quoted() : p.token();
          if (parsed === null || parsed === '') return { extensions, error: p.error(`value of ${param}`) };
          v = parsed;
          p.skipSpace();
        }
        ext.params[param] = v;
      }
      extensions.push(ext);
      if (p.done()) break;
      if (p.peek() !== ',') return { extensions, error: p.error("',' or ';'") };
      p.i++;
    }
  }
  return { extensions, error: null };
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

class Cursor {
  i = 0;
  constructor(private readonly s: string) {}
  done(): boolean { return this.i >= this.s.length; }
  peek(): string { return this.s[this.i] ?? ''; }
  skipSpace(): void { while (this.peek() === ' ' || this.peek() === '\t') this.i++; }
  token(): string {
    const start = this.i;
    while (!this.done() && TOKEN_CHAR.test(this.peek())) this.i++;
    return this.s.slice(start, this.i);
  }
  quoted(): string | null {
    let out = '';
    this.i++; // opening quote
    while (!this.done()) {
      const c = this.s[this.i++]!;
      if (c === '"') return out;
      if (c === '\\') { if (this.done()) return null; out += this.s[this.i++]; } else out += c;
    }
    return null;
  }
  error(expected: string): string {
    return `expected ${expected} at column ${this.i + 1} of ${JSON.stringify(this.s)}`;
  }
}
