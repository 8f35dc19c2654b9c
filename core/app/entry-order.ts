import type { AppEntry } from './app-entry.js';

/** AppEntry's fields in the order the log format documents them. */
const ENTRY_KEYS: readonly (keyof AppEntry)[] = [
  'protocol', 'type', 'name', 'id', 'namespace', 'pair', 'latencyMs', 'heartbeat', 'args', 'value', 'operation', 'count', 'durationMs', 'partial', 'error',
];

/** `e` with its fields in the documented order (a decoder fills them in the order it learns them), absent ones left out. */
export function inEntryOrder(e: AppEntry): AppEntry {
  const out: Record<string, unknown> = {};
  for (const k of ENTRY_KEYS) if (e[k] !== undefined) out[k] = e[k];
  return out as unknown as AppEntry;
}
