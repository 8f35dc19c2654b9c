import { closeCodeName } from '../core/websocket/close-codes.js';
import { recordPayloadPrefix, type MessageRecord } from '../core/log/records.js';
import { clockTime, duration, fit } from './format.js';
import type { MessageRow } from './message-rows.js';
import { visible } from './sanitize.js';
import { seg, type Line } from './styled-text.js';

export type TimeMode = 'absolute' | 'relative';

/** Column widths of a message row, before the preview (which takes the rest). */
const W = { time: 13, delta: 9, dir: 2, kind: 11, length: 12, flags: 4 };

/** The header line of the messages pane. */
export function messageHeader(width: number, mode: TimeMode): Line {
  const text = `${fit(mode === 'absolute' ? 'time' : 'since open', W.time)}${fit('Δ', W.delta)}${fit('', W.dir)}${fit('kind', W.kind)}${fit('length', W.length)}${fit('', W.flags)}payload`;
  return [seg(fit(text, width), 'heading')];
}

/**
 * One message as a row: time, Δ since the previous row, direction glyph, kind (close with
 * its code), length (and wire length when compressed), flags (z compressed, ! violation,
 * … truncated) and a one-line preview with every control character made visible.
 */
export function messageRowLine(row: MessageRow, previous: MessageRow | undefined, connStart: number | null, mode: TimeMode, width: number): Line {
  const m = row.record;
  const time = mode === 'absolute' ? clockTime(m.ts) : `+${duration(m.ts - (connStart ?? m.ts))}`;
  const delta = previous ? `+${duration(m.ts - previous.record.ts)}` : '';
  if (m.type === 'error') {
    // wspeek's own error, where it happened: no direction, kind `error`, what happened as the preview.
    return [
      seg(fit(time, W.time), 'dim'),
      seg(fit(delta, W.delta), 'dim'),
      seg(fit('!', W.dir), 'bad'),
      seg(fit('error', W.kind), 'bad'),
      seg(fit(m.where, W.length + W.flags), 'bad'),
      seg(fit(visible(m.detail), Math.max(0, width - (W.time + W.delta + W.dir + W.kind + W.length + W.flags)))),
    ];
  }
  const client = m.from === 'client';
  const kind = m.kind === 'close' && m.close?.code != null ? `close ${m.close.code}` : m.kind;
  const length = m.compressed ? `${m.length} (${m.wireLength})` : String(m.length);
  const flags = `${m.compressed ? 'z' : ' '}${row.violations.length ? '!' : ' '}${m.truncated || m.incomplete ? '…' : ' '}`;
  const fixed = W.time + W.delta + W.dir + W.kind + W.length + W.flags;
  return [
    seg(fit(time, W.time), 'dim'),
    seg(fit(delta, W.delta), 'dim'),
    seg(fit(client ? '→' : '←', W.dir), client ? 'client' : 'server'),
    seg(fit(kind, W.kind), client ? 'client' : 'server'),
    seg(fit(length, W.length)),
    seg(fit(flags, W.flags), row.violations.length ? 'bad' : 'dim'),
    seg(fit(payloadPreview(m), Math.max(0, width - fixed))),
  ];
}

/** A one-line, terminal-safe preview of a message's payload. */
export function payloadPreview(m: MessageRecord): string {
  if (m.close) {
    if (m.close.code === null) return '(no status code)';
    return `${closeCodeName(m.close.code)}${m.close.reason ? ` "${visible(m.close.reason)}"` : ''}`;
  }
  if (m.text !== undefined) return visible(m.text.length > 400 ? m.text.slice(0, 400) : m.text);
  const bytes = recordPayloadPrefix(m, 48);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
