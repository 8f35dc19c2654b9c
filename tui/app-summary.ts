import type { AppEntry, AppProtocolName } from '../core/app/app-entry.js';
import { duration } from './format.js';
import { visible } from './sanitize.js';

/** How much of an entry's arguments or value a one-line summary shows. */
const DETAIL_CHARS = 200;

/** Both GraphQL subprotocols read as `graphql` in a column; the rest by their own name. */
const LABELS: Partial<Record<AppProtocolName, string>> = { 'graphql-transport-ws': 'graphql', 'graphql-ws': 'graphql' };
/** Protocols whose specifications name their packets in capitals (MQTT's PUBLISH, STOMP's SEND). */
const UPPER_CASE: ReadonlySet<AppProtocolName> = new Set(['mqtt', 'stomp']);

/** The protocol as the messages pane's column shows it. */
export function appLabel(entries: readonly AppEntry[]): string {
  const p = entries[0]!.protocol;
  return LABELS[p] ?? p;
}

/** True when every entry is a keep-alive: the row is drawn dim. */
export function isHeartbeat(entries: readonly AppEntry[] | undefined): boolean {
  return entries !== undefined && entries.length > 0 && entries.every((e) => e.heartbeat === true);
}

/**
 * What a message says in its protocol, in one terminal-safe line: each entry's type, name, id,
 * what it answers and how long that took, and its arguments or value, entries joined by ` · `.
 * E.g. `event "message" #12 [{"room":"a"}]`, `next 7 OnPrice ↩3 +3.2ms`, `PUBLISH sensors/t1 q1`.
 */
export function appPreview(entries: readonly AppEntry[]): string {
  return visible(entries.map(entryText).join(' · '));
}

function entryText(e: AppEntry): string {
  if (e.type === undefined) return `unreadable: ${e.error ?? ''}`;
  const parts: string[] = [UPPER_CASE.has(e.protocol) ? e.type.toUpperCase() : e.type];
  if (e.namespace !== undefined && e.namespace !== '/') parts.push(e.namespace);
  if (e.name !== undefined) parts.push(e.protocol === 'socket.io' ? JSON.stringify(e.name) : e.name);
  if (e.id !== undefined) parts.push(`#${e.id}`);
  if (e.pair !== undefined) parts.push(`↩${e.pair}${e.latencyMs !== undefined ? ` +${duration(e.latencyMs)}` : ''}`);
  if (e.count !== undefined) parts.push(`${e.count} repl${e.count === 1 ? 'y' : 'ies'}${e.durationMs !== undefined ? ` in ${duration(e.durationMs)}` : ''}`);
  if (e.partial) parts.push('(partial)');
  const detail = e.args !== undefined ? e.args : e.value;
  if (detail !== undefined) parts.push(compact(detail));
  if (e.error !== undefined) parts.push(`(${e.error})`);
  return parts.join(' ');
}

/** JSON on one line, cut to DETAIL_CHARS. */
function compact(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > DETAIL_CHARS ? `${json.slice(0, DETAIL_CHARS - 1)}…` : json;
}
