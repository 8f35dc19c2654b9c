import type { FilterSubject } from '../filter/filter.js';
import { compile } from '../filter/compile.js';
import { parse } from '../filter/parser.js';
import type { FilterNode } from '../filter/syntax-tree.js';
import { RAW } from './app-layer.js';

/** Which protocol `--protocol` forces on a connection (its id and URL), or null to let the layer choose. */
export type ForcedProtocol = (conn: number, url: string | null) => string | null;

/** The filter fields that say which connection a message belongs to: the only ones a `--protocol FILTER=NAME` may use. */
const CONNECTION_FIELDS = new Set(['conn', 'host', 'url']);

/**
 * Reads `--protocol` values: `NAME` forces a protocol on every connection, `FILTER=NAME` on the
 * connections a connection filter (host:, url:, conn:) selects; the first rule with a filter that
 * selects a connection wins, then the one without. `raw` reads a connection as bare WebSocket.
 * Returns the choice, or what is wrong with a value (a usage error at the CLI).
 */
export function parseProtocolRules(values: readonly string[], known: readonly string[]): { ok: true; forced: ForcedProtocol | null } | { ok: false; error: string } {
  const names = [...known, RAW];
  const rules: Array<{ test: (s: FilterSubject) => boolean; name: string }> = [];
  let fallback: string | null = null;
  for (const value of values) {
    const at = value.lastIndexOf('=');
    const name = value.slice(at + 1).trim().toLowerCase();
    if (!names.includes(name)) return { ok: false, error: `--protocol: unknown protocol ${JSON.stringify(value.slice(at + 1))}; known: ${names.join(', ')}` };
    if (at < 0) {
      if (fallback !== null && fallback !== name) return { ok: false, error: `--protocol: ${fallback} and ${name} both given for every connection; qualify one with a connection filter (host:api=${name})` };
      fallback = name;
      continue;
    }
    const source = value.slice(0, at);
    const parsed = source.trim() === '' ? null : parse(source);
    if (parsed === null || !parsed.ok) {
      return { ok: false, error: `--protocol ${JSON.stringify(value)}: ${parsed ? parsed.error : 'no filter before ='} (a connection filter, e.g. host:api=${name})` };
    }
    if (!selectsConnections(parsed.tree)) {
      return { ok: false, error: `--protocol ${JSON.stringify(value)}: the filter before = must select connections only, with host:, url: or conn: (e.g. host:api=${name})` };
    }
    rules.push({ test: compile(parsed.tree), name });
  }
  if (rules.length === 0 && fallback === null) return { ok: true, forced: null };
  return {
    ok: true,
    forced: (conn, url) => {
      if (rules.length > 0) {
        const s = connectionSubject(conn, url);
        for (const r of rules) if (r.test(s)) return r.name;
      }
      return fallback;
    },
  };
}

function selectsConnections(node: FilterNode): boolean {
  switch (node.t) {
    case 'and': case 'or': return node.items.every(selectsConnections);
    case 'not': return selectsConnections(node.item);
    case 'compare': case 'contains': return CONNECTION_FIELDS.has(node.field.name);
    default: return false;
  }
}

/** A connection as the filter sees a row of it: only its id and URL are read (selectsConnections made sure). */
function connectionSubject(conn: number, url: string | null): FilterSubject {
  return {
    type: 'message', conn, from: null, kind: null, opcode: NaN, length: NaN, compressed: false, truncated: false, violations: 0,
    closeCode: null, url, payloadText: () => '', actions: null, app: null, payloadJson: () => undefined,
  };
}
