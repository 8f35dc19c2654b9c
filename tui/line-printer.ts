import { closeCodeName } from '../core/websocket/close-codes.js';
import { recordPayloadPrefix, type ActionRecord, type LogRecord, type MessageRecord, type TunnelRecord } from '../core/log/records.js';
import { appLabel, appPreview } from './app-summary.js';
import { clockTime, duration, size } from './format.js';
import { preview, visible } from './sanitize.js';

/** How much of a payload a headless line shows. */
const PREVIEW_CHARS = 120;

/** One human-readable line for a record, or null for records that get no line of their own (frames). */
export function formatRecordLine(record: LogRecord): string | null {
  const time = clockTime(record.ts);
  switch (record.type) {
    case 'session':
      if (record.mode === 'replay') return `${time}  wspeek replaying ${visible(record.source ?? '')}${record.target ? ` against ${visible(record.target)}` : ''}`;
      if (record.source !== undefined) return `${time}  wspeek reading ${record.mode} capture ${visible(record.source)}`;
      return `${time}  wspeek ${record.mode} mode on ${record.listen}${record.target ? ` → ${visible(record.target)}` : ''}`;
    case 'connect':
      return `${time}  #${record.conn} connect from ${record.client}${record.tls ? ' (tls)' : ''}`;
    case 'tunnel':
      return `${time}  #${record.conn} tunnel to ${visible(record.host)}:${record.port} via ${record.via}: ${tunnelSummary(record)}`;
    case 'http':
      return `${time}  #${record.conn} ${visible(record.method)} ${visible(record.url)} → ${record.status ?? '—'} ${duration(record.ms)}${record.error ? `  (${visible(record.error)})` : ''}`;
    case 'handshake': {
      const ext = record.extensions.map((e) => e.name === 'permessage-deflate' ? 'deflate' : visible(e.name));
      const extras = [
        record.protocol !== null ? `protocol ${visible(record.protocol)}` : null,
        ext.length ? ext.join(', ') : null,
        record.response.status === 101 ? `accept ${record.accept}` : null,
      ].filter(Boolean).join(', ');
      return `${time}  #${record.conn} handshake ${visible(record.url)} → ${record.response.status} ${visible(record.response.reason)} ${duration(record.ms)}${extras ? `  (${extras})` : ''}`;
    }
    case 'frame':
      return null;
    case 'message':
      return `${time}  #${record.conn} ${record.from === 'client' ? 'c→s' : 's→c'} ${messageSummary(record)}`;
    case 'action':
      return `${time}  #${record.conn} * ${actionSummary(record)}`;
    case 'error':
      return `${time}  #${record.conn} ! wspeek ${record.where} error: ${visible(record.detail)}`;
    case 'violation':
      return `${time}  #${record.conn} ! ${record.from} violated ${record.rule} (RFC ${record.rfc}): ${visible(record.detail)}`;
    case 'end': {
      const code = record.code !== null ? ` code ${record.code}` : '';
      return `${time}  #${record.conn} end by ${record.by}${code}${record.clean ? ' clean' : ''} after ${duration(record.durationMs)}, ${size(record.bytes.client)} c→s, ${size(record.bytes.server)} s→c${record.reason ? `  (${visible(record.reason)})` : ''}`;
    }
  }
}

/** Kind, size (as `size` gives it everywhere), flags and a one-line payload preview, or what its application protocol says. */
export function messageSummary(m: MessageRecord): string {
  // Wire length, frames and compression are null for a message read from HAR: nothing is said of them.
  const length = m.compressed ? `${size(m.length)} (${m.wireLength === null ? '?' : size(m.wireLength)} on wire)` : size(m.length);
  const flags = [m.compressed ? 'deflate' : '', m.truncated ? 'truncated' : '', m.incomplete ? 'incomplete' : '', m.frames !== null && m.frames > 1 ? `${m.frames} frames` : '', m.rtt !== undefined ? `rtt ${duration(m.rtt)}` : '']
    .filter(Boolean).join(' ');
  const content = m.app ? cut(`${appLabel(m.app)} ${appPreview(m.app)}`, 2 * PREVIEW_CHARS) : payloadPreview(m);
  return `${m.kind.padEnd(6)} ${length}${flags ? ` [${flags}]` : ''}  ${content}`;
}

/** Text already made visible, cut to `max` characters. */
function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function payloadPreview(m: MessageRecord): string {
  if (m.close) return m.close.code === null ? '(no status code)' : `${m.close.code} ${closeCodeName(m.close.code)}${m.close.reason ? ` "${preview(m.close.reason, PREVIEW_CHARS)}"` : ''}`;
  if (m.text !== undefined) return `"${preview(m.text, PREVIEW_CHARS)}"`;
  const hex = recordPayloadPrefix(m, 32).toString('hex').replace(/(..)/g, '$1 ').trim();
  return m.length > 32 ? `${hex} …` : hex;
}


/** What a tunnel became: TLS intercepted (with SNI, ALPN and version), plain, passed through, or why TLS failed. */
export function tunnelSummary(t: TunnelRecord): string {
  const tls = [t.sni !== null ? `SNI ${t.sni}` : null, t.alpn, t.version].filter((x) => x !== null).join(', ');
  switch (t.tls) {
    case 'intercepted': return `TLS intercepted${tls ? ` (${tls})` : ''}`;
    case 'none': return 'plain (no TLS)';
    case 'passthrough': return `TLS passed through untouched${tls ? ` (${tls})` : ''}`;
    case 'rejected': return `TLS with the client failed${t.alert !== null ? `: ${t.alert}` : ''} (does the client trust wspeek's CA? \`wspeek ca\` prints it)`;
  }
}

/** Who decided an action, as a line says it. */
const BY: Record<ActionRecord['by'], string> = { user: 'by the user', script: 'by a script', proxy: 'by wspeek' };

/**
 * What wspeek did, which way, on whose decision, and what it sent: `edited message 4 c→s by the
 * user: "hi"`, `dropped message 7 s→c by wspeek (the connection closed while the message was held)`.
 */
export function actionSummary(a: ActionRecord): string {
  const way = a.from === 'client' ? 'c→s' : 's→c';
  const message = `message ${a.seq ?? '?'}`;
  let what: string;
  if (a.target === 'handshake') what = `edited the handshake ${way}`;
  else {
    switch (a.action) {
      case 'injected': what = `injected a message ${way}`; break;
      case 'resent': what = `sent ${message} again ${way}`; break;
      case 'reencode': what = `re-encoding ${way} from ${message} on`; break;
      case 'closed': what = `sent a close frame ${way}`; break;
      case 'reset': what = `reset the connection to the ${a.to}`; break;
      case 'forwarded': what = `forwarded ${message} ${way}${a.length !== undefined ? ' as edited' : ''}`; break;
      default: what = `${a.action} ${message} ${way}`;
    }
  }
  const sent = a.text !== undefined ? `"${preview(a.text, PREVIEW_CHARS)}"` : a.base64 !== undefined ? `${size(a.length ?? 0)} of binary` : '';
  const close = a.code !== undefined ? `${a.code}${a.reason ? ` "${preview(a.reason, PREVIEW_CHARS)}"` : ''}` : '';
  const detail = [sent, close, a.headers ? `${a.headers.length} headers` : ''].filter(Boolean).join(' ');
  return `${what} ${BY[a.by]}${detail ? `: ${detail}` : ''}${a.error ? ` (${visible(a.error)})` : ''}`;
}
