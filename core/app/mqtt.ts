import { otherSide, type Side } from '../websocket/events.js';
import { decodeUtf8 } from '../websocket/utf8.js';
import { recordPayload, recordPayloadPrefix, type MessageRecord } from '../log/records.js';
import type { AppDecoder, AppProtocol } from './app-decoder.js';
import type { AppEntry } from './app-entry.js';
import { Exchanges } from './exchanges.js';
import { packetType, parsePacket, type MqttLevel, type MqttPacket } from './mqtt-packets.js';
import { fixedHeader, MqttStream } from './mqtt-stream.js';

/**
 * MQTT 3.1, 3.1.1 and 5 over WebSocket: chosen by the subprotocols `mqtt` and `mqttv3.1`, or
 * sniffed from a client's binary message that starts with a CONNECT whose header (protocol name
 * and level) it holds whole. Clients that write a packet a field at a time (MQTT.js over Node's
 * `ws` sends its CONNECT one byte first) are known by their subprotocol instead.
 */
export const MQTT: AppProtocol = {
  name: 'mqtt',
  subprotocols: ['mqtt', 'mqttv3.1'],
  sniff: (m) => m.from === 'client' && m.kind === 'binary' && startsWithConnect(recordPayloadPrefix(m, 14)),
  create: () => new MqttDecoder(),
};

/** `0x10`, a Remaining Length, then `MQTT` level 4 or 5, or `MQIsdp` level 3 (3.1.1 §3.1.2.1-2, v5 §3.1.2.1-2). */
function startsWithConnect(b: Buffer): boolean {
  if (b[0] !== 0x10) return false;
  const h = fixedHeader(b);
  if (h === null || 'error' in h) return false;
  const v = b.subarray(h.headerLength);
  const mqtt = v.subarray(0, 6).equals(MQTT_NAME) && (v[6] === 4 || v[6] === 5);
  const mqisdp = v.subarray(0, 8).equals(MQISDP_NAME) && v[8] === 3;
  return mqtt || mqisdp;
}
const MQTT_NAME = Buffer.from('\x00\x04MQTT', 'latin1');
const MQISDP_NAME = Buffer.from('\x00\x06MQIsdp', 'latin1');

/** One direction: its byte stream, the v5 Topic Aliases its sender set, and where it was lost. */
interface Direction {
  stream: MqttStream;
  aliases: Map<number, string>;
  /** The seq of the message that lost the stream, once lost. */
  lostAt: number | null;
}

/**
 * Reads an MQTT connection, both directions, into entries: one per packet, on the message that
 * completes it (`partial` entries on the messages before). The protocol level comes from the
 * client's CONNECT; a connection whose CONNECT was not seen is read as 3.1.1.
 *
 * Each entry: `type` the packet type; `name` the PUBLISH's topic (a v5 Topic Alias resolved),
 * a SUBSCRIBE's or UNSUBSCRIBE's filters joined by `, `, a reply's request's; `id` the Packet
 * Identifier; `value` the rest: CONNECT's protocol, client id, keep alive, clean session/start,
 * will, user name and password; CONNACK's session present and return or reason code; PUBLISH's
 * qos, retain, dup and payload (text when it is valid UTF-8 without control bytes other than tab
 * and line ends, else `{"base64":…}`; never parsed as JSON, so what shows is what was sent);
 * SUBSCRIBE's filters with their options; SUBACK's codes; v5 reason codes (with their names) and
 * `properties`.
 *
 * Pairing (the initiator's Packet Identifiers, per direction): CONNECT ← CONNACK, PUBLISH QoS 1 ←
 * PUBACK, PUBLISH QoS 2 ← PUBREC, PUBREL, PUBCOMP (which ends it), SUBSCRIBE ← SUBACK,
 * UNSUBSCRIBE ← UNSUBACK, PINGREQ ← PINGRESP (both `heartbeat`).
 */
class MqttDecoder implements AppDecoder {
  private level: MqttLevel = 4;
  private readonly exchanges = new Exchanges();
  private readonly directions: Record<Side, Direction> = { client: direction(), server: direction() };

  decode(m: MessageRecord): AppEntry[] | null {
    const d = this.directions[m.from];
    if (m.kind === 'ping' || m.kind === 'pong') return null;
    if (m.kind === 'close') return this.closed(d);
    // 3.1.1 §6, v5 §6.0: packets go in binary messages; the peer closes on any other.
    if (m.kind === 'text') return [{ protocol: 'mqtt', error: 'a text message: MQTT is carried in binary messages (MQTT 5 §6.0)' }];
    if (d.lostAt !== null) return [{ protocol: 'mqtt', error: `not read: this direction's stream was lost at seq ${d.lostAt}` }];
    const payload = recordPayload(m);
    const chunk = d.stream.push(payload);
    const entries = chunk.packets.map((p) => this.entry(m, p));
    // The bytes past a kept prefix, or those a message that never finished lacks, never come: where the next packet starts is unknown.
    if (chunk.error === null && (m.truncated || m.incomplete)) {
      d.stream.lose(m.truncated ? `the message was kept only to ${payload.length} of ${m.length} bytes` : 'the message never finished');
    }
    const lost = d.stream.lost;
    if (lost !== null) {
      d.lostAt = m.seq;
      entries.push({ protocol: 'mqtt', error: `${lost}: the rest of this direction cannot be read` });
    } else if (chunk.partial) {
      entries.push(this.partial(d));
    }
    return entries.length > 0 ? entries : null;
  }

  /** A close: an unfinished packet of its sender's never comes. */
  private closed(d: Direction): AppEntry[] | null {
    const { have, need } = d.stream.pending;
    if (have === 0 || d.lostAt !== null) return null;
    const type = packetType(d.stream.head(1)[0]!);
    d.stream.lose('closed');
    return [{
      protocol: 'mqtt',
      error: `the connection closed inside ${type === null ? 'a packet' : `a ${type.toUpperCase()}`}: ${have}${need > 0 ? ` of ${need}` : ''} bytes came`,
    }];
  }

  /** The entry of a packet that has begun and not ended: its type, and a PUBLISH's topic once it has come. */
  private partial(d: Direction): AppEntry {
    const e: AppEntry = { protocol: 'mqtt', partial: true };
    const head = d.stream.head(5);
    const type = packetType(head[0]!);
    if (type !== null) e.type = type;
    const h = fixedHeader(head);
    if (type === 'publish' && h !== null && !('error' in h)) {
      // 3.1.1 §3.3.2.1: the Topic Name opens the variable header.
      const at = h.headerLength + 2;
      const lengthBytes = d.stream.head(at);
      const n = lengthBytes.length === at ? lengthBytes.readUInt16BE(at - 2) : 0;
      const topic = n > 0 ? decodeUtf8(d.stream.head(at + n).subarray(at)) : null;
      if (topic !== null && Buffer.byteLength(topic) === n) e.name = topic;
    }
    return e;
  }

  private entry(m: MessageRecord, bytes: Buffer): AppEntry {
    const p = parsePacket(bytes, this.level);
    if ('error' in p) return { protocol: 'mqtt', error: p.error };
    const e: AppEntry = { protocol: 'mqtt', type: p.type };
    if (p.packetId !== undefined) e.id = p.packetId;
    if (p.filters) e.name = p.filters.join(', ');
    if (p.value) e.value = p.value;
    if (p.type === 'publish') this.topic(this.directions[m.from], p, e);
    if (p.type === 'pingreq' || p.type === 'pingresp') e.heartbeat = true;
    if (p.level !== undefined) this.level = p.level;
    this.pair(m, p, e);
    return e;
  }

  /** A PUBLISH's name: its topic, or (v5 §3.3.2.3.4) the one its Topic Alias was set to earlier in the same direction. */
  private topic(d: Direction, p: MqttPacket, e: AppEntry): void {
    if (p.topicAlias === undefined) {
      if (p.topic) e.name = p.topic;
    } else if (p.topic) {
      d.aliases.set(p.topicAlias, p.topic);
      e.name = p.topic;
    } else {
      const topic = d.aliases.get(p.topicAlias);
      if (topic === undefined) e.error = `Topic Alias ${p.topicAlias} was not set before`;
      else e.name = topic;
    }
  }

  /** Packet Identifiers are the initiator's (3.1.1 §2.3.1): a reply's key has the other side's. */
  private pair(m: MessageRecord, p: MqttPacket, e: AppEntry): void {
    const x = this.exchanges;
    const mine = `${m.from}:${p.packetId}`;
    const theirs = `${otherSide(m.from)}:${p.packetId}`;
    switch (p.type) {
      case 'connect': x.request('connect', m, e); break;
      case 'connack': x.answer('connect', m, e); break;
      case 'publish': if (p.packetId !== undefined) x.request(`publish:${mine}`, m, e); break;
      case 'puback': x.answer(`publish:${theirs}`, m, e); break;
      case 'pubrec': x.reply(`publish:${theirs}`, m, e); break;
      case 'pubrel': x.reply(`publish:${mine}`, m, e); break;
      case 'pubcomp': x.end(`publish:${theirs}`, m, e); break;
      case 'subscribe': case 'unsubscribe': x.request(`${p.type}:${mine}`, m, e); break;
      case 'suback': x.answer(`subscribe:${theirs}`, m, e); break;
      case 'unsuback': x.answer(`unsubscribe:${theirs}`, m, e); break;
      case 'pingreq': x.request(`ping:${m.from}`, m, e); break;
      case 'pingresp': x.answer(`ping:${otherSide(m.from)}`, m, e); break;
      case 'disconnect': case 'auth': break;
    }
  }
}

function direction(): Direction {
  return { stream: new MqttStream(), aliases: new Map(), lostAt: null };
}
