// Records read by the application-protocol layer, as the session store does before its consumers see them.

import { AppLayer, type AppLayerOptions } from '../../core/app/app-layer.js';
import { APP_PROTOCOLS } from '../../core/app/protocols.js';
import type { LogRecord, MessageRecord } from '../../core/log/records.js';

/** Runs `records` (e.g. a live proxy's, in order) through a fresh AppLayer; returns the message records, now with `app` where read. */
export function readApp(records: readonly LogRecord[], options: Partial<AppLayerOptions> = {}): MessageRecord[] {
  const layer = new AppLayer({ protocols: APP_PROTOCOLS, ...options });
  const messages: MessageRecord[] = [];
  for (const r of records) {
    layer.see(r);
    if (r.type === 'message') messages.push(r);
  }
  return messages;
}
