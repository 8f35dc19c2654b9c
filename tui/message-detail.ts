import { closeCodeName } from '../core/websocket/close-codes.js';
import { recordPayload, type ErrorRecord, type FrameRecord, type MessageRecord, type ViolationRecord } from '../core/log/records.js';
import type { ConnectionRow } from './connection-view.js';
import { clockTime, duration, size } from './format.js';
import { hexBytes, hexDump } from './hex-dump.js';
import { tunnelSummary } from './line-printer.js';
import type { MessageRow } from './message-rows.js';
import { visible } from './sanitize.js';
import { seg, type Line } from './styled-text.js';

const OPCODE_NAMES: Record<number, string> = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };
/** Payload bytes shown per frame in the frame-level view, masked and unmasked. */
const FRAME_BYTES = 8;
/** The detail pane shows at most this many hex dump lines. */
const MAX_HEX_LINES = 256;
/** Characters a 16-byte hex dump line takes; narrower panes get 8 bytes a line. */
const HEX16_WIDTH = 78;

/** Everything about one message: payload (text, pretty JSON or hex), frames, close, rtt, violations; or what an error says. */
export function messageDetail(row: MessageRow, connStart: number | null, width: number): Line[] {
  const m = row.record;
  if (m.type === 'error') return errorDetail(m, connStart);
  const client = m.from === 'client';
  const lines: Line[] = [];
  const since = connStart !== null ? `  (+${duration(m.ts - connStart)} since open)` : '';
  lines.push([seg(`#${m.conn} `, 'dim'), seg(client ? 'client → server' : 'server → client', client ? 'client' : 'server'), seg(`  ${m.kind}  ${clockTime(m.ts)}${since}`)]);
  const facts = [
    `${m.length} B${m.compressed ? ` inflated from ${m.wireLength} B (permessage-deflate)` : ''}`,
    `${m.frames} frame${m.frames === 1 ? '' : 's'}`,
    m.truncated ? `first ${recordPayload(m).length} B kept (--max-payload)` : '',
    m.incomplete ? 'incomplete: the message never finished' : '',
  ].filter(Boolean).join(' · ');
  lines.push([seg(facts, 'dim')]);
  if (m.rtt !== undefined) lines.push([seg(`round trip from the ping: ${duration(m.rtt)}`, 'key')]);

  if (m.close) {
    lines.push([], [seg('Close', 'heading')]);
    if (m.close.code === null) lines.push([seg('no status code (empty payload)')]);
    else lines.push([seg(`${m.close.code} ${closeCodeName(m.close.code)}`)]);
    if (m.close.reason) lines.push([seg(`reason: "${visible(m.close.reason)}"`)]);
  } else {
    lines.push([], [seg('Payload', 'heading')]);
    lines.push(...payloadLines(m, row.payloadDropped, width >= HEX16_WIDTH ? 16 : 8));
  }

  if (row.violations.length) {
    lines.push([], [seg('Violations', 'heading')]);
    lines.push(...violationLines(row.violations));
  }
  if (row.frames.length) {
    lines.push([], [seg('Frames', 'heading')]);
    lines.push(...frameLines(row.frames, m.compressed ? null : recordPayload(m)));
  }
  return lines;
}

/** An error of wspeek's own, where it happened, and what it means for the connection. */
function errorDetail(e: ErrorRecord, connStart: number | null): Line[] {
  const since = connStart !== null ? `  (+${duration(e.ts - connStart)} since open)` : '';
  return [
    [seg(`#${e.conn} `, 'dim'), seg(`wspeek ${e.where} error`, 'bad'), seg(`  ${clockTime(e.ts)}${since}`)],
    [],
    [seg(visible(e.detail))],
    [],
    [seg('The connection is still forwarded byte for byte; wspeek records no more of its frames or messages.', 'dim')],
  ];
}

function payloadLines(m: MessageRecord, payloadDropped: boolean, perLine: 8 | 16): Line[] {
  if (payloadDropped) return [[seg('dropped from memory to keep the UI within its payload budget; the session log (--save) has it', 'dim')]];
  if (m.text !== undefined) {
    const pretty = prettyJson(m.text);
    const text = pretty ?? m.text;
    const out: Line[] = pretty ? [[seg('JSON', 'dim')]] : [];
    for (const l of text.split('\n')) out.push([seg(visible(l))]);
    return out;
  }
  const bytes = recordPayload(m);
  if (bytes.length === 0) return [[seg('(empty)', 'dim')]];
  const dump = hexDump(bytes, MAX_HEX_LINES, perLine).map((l) => [seg(l)]);
  if (bytes.length > MAX_HEX_LINES * perLine) dump.push([seg(`… ${bytes.length - MAX_HEX_LINES * perLine} more bytes`, 'dim')]);
  return m.kind === 'text' ? [[seg('not valid UTF-8:', 'bad')], ...dump] : dump;
}

/** Indented JSON when the text parses as an object or array, else null. */
function prettyJson(text: string): string | null {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return null;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return null;
  }
}

/**
 * Each frame's header and its first payload bytes as on the wire (masked) and as decoded
 * (unmasked), as a capture tool would show them. `payload` is the message's kept payload when
 * it is the frames' payload (uncompressed), so the masked bytes can be recomputed from it.
 */
function frameLines(frames: FrameRecord[], payload: Buffer | null): Line[] {
  const out: Line[] = [];
  let offset = 0;
  frames.forEach((f, i) => {
    const rsv = f.rsv.map((b) => (b ? '1' : '0')).join('');
    out.push([seg(`${i + 1}. FIN=${f.fin ? 1 : 0} RSV=${rsv} opcode=${f.opcode} (${OPCODE_NAMES[f.opcode] ?? 'reserved'}) MASK=${f.masked ? 1 : 0}${f.mask ? ` key=${f.mask.replace(/(..)(?!$)/g, '$1 ')}` : ''} length=${f.length}`)]);
    const start = f.opcode >= 8 ? 0 : offset;
    if (payload && f.length > 0 && start < payload.length) {
      const unmasked = payload.subarray(start, Math.min(start + FRAME_BYTES, start + f.length, payload.length));
      if (f.mask) {
        const key = Buffer.from(f.mask, 'hex');
        const masked = Buffer.from(unmasked.map((b, j) => b ^ key[j & 3]!));
        out.push([seg(`   masked:   ${hexBytes(masked)}`, 'dim')]);
      }
      out.push([seg(`   payload:  ${hexBytes(unmasked)}${f.length > unmasked.length ? ' …' : ''}`, 'dim')]);
    }
    if (f.opcode < 8) offset += f.length;
  });
  return out;
}

export function violationLines(violations: ViolationRecord[]): Line[] {
  return violations.map((v) => [seg(`! ${v.rule}`, 'bad'), seg(` (RFC ${v.rfc}, ${v.from}): ${visible(v.detail)}`)]);
}

/** The connection's handshake as sent, with the Accept check's result; or why the attempt failed. */
export function handshakeDetail(c: ConnectionRow): Line[] {
  const h = c.handshake;
  const title: Line = [seg(`#${c.conn} `, 'dim'), seg(visible(c.url)), seg(`  from ${visible(c.client)}`, 'dim')];
  const tunnel: Line[] = c.tunnel ? [[seg('tunnel: ', 'key'), seg(visible(`${c.tunnel.via.toUpperCase()} ${c.tunnel.host}:${c.tunnel.port} · ${tunnelSummary(c.tunnel)}`))]] : [];
  if (!h) {
    const lines: Line[] = [title, [seg(c.state, 'bad')], ...tunnel, [], [seg('No WebSocket handshake', 'heading')], [seg(visible(c.error ?? 'the connection ended before one'))]];
    if (c.violations.length) lines.push([], [seg('Violations', 'heading')], ...violationLines(c.violations));
    return lines;
  }
  const lines: Line[] = [
    title,
    [seg(`${c.state} · handshake ${duration(h.ms)} · ${c.messages.client}↑ ${c.messages.server}↓ messages · ${size(c.bytes.client)}↑ ${size(c.bytes.server)}↓`, 'dim')],
    ...tunnel,
    ...c.errors.map((e): Line => [seg(`wspeek ${e.where} error: `, 'bad'), seg(visible(e.detail))]),
    [],
    [seg('Request', 'heading')],
    [seg(visible(`${h.request.method} ${h.request.target} ${h.request.version}`))],
    ...h.request.headers.map(([n, v]) => [seg(`${visible(n)}: `, 'key'), seg(visible(v))]),
    [],
    [seg('Response', 'heading')],
    [seg(visible(`${h.response.version} ${h.response.status} ${h.response.reason}`))],
    ...h.response.headers.map(([n, v]) => [seg(`${visible(n)}: `, 'key'), seg(visible(v))]),
    [],
  ];
  if (h.response.status === 101) {
    lines.push([seg('Sec-WebSocket-Accept: '), seg(h.accept, h.accept === 'valid' ? 'key' : 'bad')]);
  }
  if (h.protocol) lines.push([seg(`subprotocol: ${visible(h.protocol)}`)]);
  for (const e of h.extensions) {
    const params = Object.entries(e.params).map(([k, v]) => (v === true ? k : `${k}=${v}`)).join('; ');
    lines.push([seg(`extension: ${visible(e.name)}${params ? `; ${visible(params)}` : ''}`)]);
  }
  if (c.violations.length) lines.push([], [seg('Violations', 'heading')], ...violationLines(c.violations));
  return lines;
}
