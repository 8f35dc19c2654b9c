import { closeCodeName } from '../core/websocket/close-codes.js';
import { OPCODE_NAMES, otherSide } from '../core/websocket/events.js';
import { ownMessageKind } from '../core/filter/subject.js';
import { recordPayload, type ActionRecord, type ErrorRecord, type FrameRecord, type MessageRecord, type ViolationRecord } from '../core/log/records.js';
import type { ConnectionRow } from './connection-view.js';
import { appDetailLines } from './app-detail.js';
import { bytes, clockTime, duration, size } from './format.js';
import { hexBytes, hexDump, hexDumpWidth } from './hex-dump.js';
import { actionSummary, tunnelSummary } from './line-printer.js';
import type { ActedMessage } from './message-actions.js';
import { LARGE_PAYLOAD, type MessageRow } from './message-rows.js';
import { visible } from './sanitize.js';
import { connStyle, seg, type Line } from './styled-text.js';

/** Payload bytes shown per frame in the frame-level view, masked and unmasked. */
const FRAME_BYTES = 8;
/** The detail pane shows at most this many hex dump lines. */
const MAX_HEX_LINES = 256;

/** Which way a message went, with the arrows the message list uses: `client → server`, `client ← server`. */
export function direction(from: 'client' | 'server'): string {
  return from === 'client' ? 'client → server' : 'client ← server';
}

/**
 * Everything about one message: payload (text, pretty JSON or hex), frames, close, rtt, violations,
 * and what wspeek did to it (`acted`: held, dropped, what it sent instead); or what an error says;
 * or a message wspeek sent itself.
 */
export function messageDetail(row: MessageRow, connStart: number | null, width: number, acted?: ActedMessage): Line[] {
  const m = row.record;
  if (m.type === 'error') return errorDetail(m, connStart);
  if (m.type === 'action') return ownMessageDetail(m, row.payloadDropped, connStart, width);
  const client = m.from === 'client';
  const lines: Line[] = [];
  const since = connStart !== null ? `  (+${duration(m.ts - connStart)} since open)` : '';
  lines.push([seg(`#${m.conn}`, connStyle(m.conn)), seg(' '), seg(direction(m.from), client ? 'client' : 'server'), seg(`  ${m.kind}  ${clockTime(m.ts)}${since}`)]);
  const facts = [
    `${bytes(m.length)}${m.compressed ? ` inflated (permessage-deflate) from ${m.wireLength === null ? '?' : bytes(m.wireLength)}` : ''}`,
    // Null when read from a HAR file: it keeps each message whole, never its frames.
    m.frames === null ? 'frames unknown: a HAR file records messages, not frames' : `${m.frames} frame${m.frames === 1 ? '' : 's'}`,
    row.payloadKept !== undefined ? keptInUi(row.payloadKept) : m.truncated ? `first ${bytes(recordPayload(m).length)} kept (--max-payload)` : '',
    m.incomplete ? 'incomplete: the message never finished' : '',
  ].filter(Boolean).join(' · ');
  lines.push([seg(facts, 'dim')]);
  if (m.rtt !== undefined) lines.push([seg(`round trip from the ping: ${duration(m.rtt)}`, 'key')]);
  if (m.app) lines.push(...appDetailLines(m.app));

  if (m.close) {
    lines.push([], [seg('Close', 'heading')]);
    if (m.close.code === null) lines.push([seg('no status code (empty payload)')]);
    else lines.push([seg(`${m.close.code} ${closeCodeName(m.close.code)}`)]);
    if (m.close.reason) lines.push([seg(`reason: "${visible(m.close.reason)}"`)]);
  } else {
    lines.push([], [seg('Payload', 'heading')]);
    lines.push(...payloadLines(m, row.payloadDropped, width));
  }
  if (acted) lines.push(...actedLines(acted, m, width));

  if (row.violations.length) {
    lines.push([], [seg('Violations', 'heading')]);
    lines.push(...violationLines(row.violations));
  }
  if (row.frames.length) {
    lines.push([], [seg('Frames', 'heading')]);
    lines.push(...frameLines(row.frames, m.compressed === false ? recordPayload(m) : null));
  }
  return lines;
}

/** What an error means for its connection, by where it happened. */
const ERROR_MEANING: Record<ErrorRecord['where'], string> = {
  decoder: 'The connection is still forwarded byte for byte; wspeek records no more of its frames or messages.',
  capture: 'Said by the capture file, or about it: what the file lacks is reported, never guessed over.',
  tls: 'Its TLS could not be decrypted: what it carried is counted, not decoded.',
};

/** An error of wspeek's own, where it happened, and what it means for the connection. */
function errorDetail(e: ErrorRecord, connStart: number | null): Line[] {
  const since = connStart !== null ? `  (+${duration(e.ts - connStart)} since open)` : '';
  return [
    [seg(`#${e.conn}`, connStyle(e.conn)), seg(' '), seg(`wspeek ${e.where} error`, 'bad'), seg(`  ${clockTime(e.ts)}${since}`)],
    [],
    [seg(visible(e.detail))],
    [],
    [seg(ERROR_MEANING[e.where], 'dim')],
  ];
}

/** Held, dropped, what was sent instead, and every action on the message in order. */
function actedLines(acted: ActedMessage, m: MessageRecord, width: number): Line[] {
  const lines: Line[] = [];
  const receiver = otherSide(m.from);
  if (acted.marks.held) {
    lines.push([], [seg('Held', 'heading')], [seg(`Not forwarded yet: the ${receiver} has none of it, and what the ${m.from} sent after it waits behind it. a forwards it${acted.edit ? ' as edited' : ''}, e edits it, d drops it.`, 'warn')]);
  }
  if (acted.marks.dropped) lines.push([], [seg('Dropped', 'heading')], [seg(`The ${receiver} never got it.`, 'bad')]);
  const edit = acted.edit;
  if (edit) {
    const state = acted.marks.held ? 'once forwarded' : acted.marks.dropped ? 'never sent: dropped' : 'as sent';
    lines.push([], [seg(`Edited: what wspeek sends instead (${state})`, 'heading')]);
    lines.push(...ownPayloadLines(edit, width));
  }
  lines.push([], [seg('What wspeek did', 'heading')]);
  for (const a of acted.records) lines.push([seg(clockTime(a.ts), 'dim'), seg(`  ${visible(actionSummary(a))}`)]);
  return lines;
}

/** A message wspeek sent itself: which way, who asked, how it was framed, and its payload. */
function ownMessageDetail(a: ActionRecord, payloadDropped: boolean, connStart: number | null, width: number): Line[] {
  const client = a.from === 'client';
  const since = connStart !== null ? `  (+${duration(a.ts - connStart)} since open)` : '';
  const what = a.action === 'resent' ? `message ${a.seq ?? '?'} sent again` : 'injected';
  return [
    [seg(`#${a.conn}`, connStyle(a.conn)), seg(' '), seg(direction(a.from), client ? 'client' : 'server'), seg(`  ${ownMessageKind(a)}  ${clockTime(a.ts)}${since}`)],
    [seg(`${what} by ${a.by === 'user' ? 'the user' : a.by === 'script' ? 'a script' : 'wspeek'}`, 'key')],
    [seg(`${bytes(a.length ?? 0)} · one frame written by wspeek: FIN set, uncompressed, ${client ? 'masked with a fresh key' : 'unmasked'}`, 'dim')],
    [],
    [seg('Payload', 'heading')],
    ...(payloadDropped ? [droppedFromMemory()] : ownPayloadLines(a, width)),
  ];
}

/** What an action record says wspeek sent: its text (JSON pretty-printed), or a hex dump. */
function ownPayloadLines(a: ActionRecord, width: number): Line[] {
  return bodyLines(a.text, () => Buffer.from(a.base64 ?? '', 'base64'), false, width);
}

/** Says that the UI keeps only the first `kept` bytes of a large payload, and where the rest is. */
function keptInUi(kept: number): string {
  return `only the first ${bytes(kept)} kept in the UI (it keeps the start of payloads over ${LARGE_PAYLOAD / 1024} KiB); the session log (--save) has the payload as captured`;
}

function droppedFromMemory(): Line {
  return [seg('dropped from memory to keep the UI within its payload budget; the session log (--save) has it', 'dim')];
}

/** The payload: text (JSON pretty-printed), or a hex dump 16 bytes a line when the pane is wide enough for one, else 8. */
function payloadLines(m: MessageRecord, payloadDropped: boolean, width: number): Line[] {
  if (payloadDropped) return [droppedFromMemory()];
  return bodyLines(m.text, () => recordPayload(m), m.kind === 'text', width);
}

/** `text` as text (JSON pretty-printed); without it, the bytes as a hex dump (`invalidText`: a text message that is not UTF-8). */
function bodyLines(text: string | undefined, payloadBytes: () => Buffer, invalidText: boolean, width: number): Line[] {
  if (text !== undefined) {
    const pretty = prettyJson(text);
    const out: Line[] = pretty ? [[seg('JSON', 'dim')]] : [];
    for (const l of (pretty ?? text).split('\n')) out.push([seg(visible(l))]);
    return out;
  }
  const payload = payloadBytes();
  if (payload.length === 0) return [[seg('(empty)', 'dim')]];
  // Offsets as long as the payload's last one needs, at least 4 digits.
  const digits = Math.max(4, (payload.length - 1).toString(16).length);
  const perLine = width >= hexDumpWidth(16, digits) ? 16 : 8;
  const dump = hexDump(payload, MAX_HEX_LINES, perLine, digits).map((l) => [seg(l)]);
  if (payload.length > MAX_HEX_LINES * perLine) dump.push([seg(`… ${bytes(payload.length - MAX_HEX_LINES * perLine)} more`, 'dim')]);
  return invalidText ? [[seg('not valid UTF-8:', 'bad')], ...dump] : dump;
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
  const title: Line = [seg(`#${c.conn}`, connStyle(c.conn)), seg(' '), seg(visible(c.url)), seg(`  from ${visible(c.client)}`, 'dim')];
  const tunnel: Line[] = c.tunnel ? [[seg('tunnel: ', 'key'), seg(visible(`${c.tunnel.via.toUpperCase()} ${c.tunnel.host}:${c.tunnel.port} · ${tunnelSummary(c.tunnel)}`))]] : [];
  if (!h) {
    const lines: Line[] = [title, [seg(c.state, 'bad')], ...tunnel, [], [seg('No WebSocket handshake', 'heading')], [seg(visible(c.error ?? (c.tunnel?.tls === 'passthrough' ? 'the TLS tunnel was passed through untouched (--pass): wspeek sees only its bytes' : 'the connection ended before one')))]];
    if (c.violations.length) lines.push([], [seg('Violations', 'heading')], ...violationLines(c.violations));
    return lines;
  }
  const lines: Line[] = [
    title,
    [seg(`${c.state} · handshake ${duration(h.ms)}`, 'dim')],
    [seg(direction('client'), 'client'), seg(`  ${traffic(c.messages.client, c.bytes.client)}`, 'dim')],
    [seg(direction('server'), 'server'), seg(`  ${traffic(c.messages.server, c.bytes.server)}`, 'dim')],
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
  if (c.actions.length) lines.push([], [seg('What wspeek did', 'heading')], ...c.actions.flatMap(connectionActionLines));
  return lines;
}

/** An action on a connection as a whole, with the headers sent upstream when it changed the handshake. */
function connectionActionLines(a: ActionRecord): Line[] {
  const line: Line = [seg(clockTime(a.ts), 'dim'), seg(`  ${visible(actionSummary(a))}`)];
  return [line, ...(a.headers ?? []).map(([n, v]): Line => [seg(`  ${visible(n)}: `, 'key'), seg(visible(v))])];
}

/** Messages one way and their bytes on the wire: `4 messages, 27 B`. */
function traffic(messages: number, wireBytes: number): string {
  return `${messages} message${messages === 1 ? '' : 's'}, ${size(wireBytes)}`;
}
