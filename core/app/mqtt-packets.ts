import { readProperties, type MqttProperties } from './mqtt-properties.js';
import { bytesValue, MalformedPacket, MqttReader } from './mqtt-reader.js';

/** The MQTT Control Packet types by their number, the high nibble of the first byte (3.1.1 §2.2.1, v5 §2.1.2); 0 is reserved, 15 is v5's AUTH. */
export const PACKET_TYPES = [
  null, 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth',
] as const;
export type MqttPacketType = NonNullable<(typeof PACKET_TYPES)[number]>;

/** The packet type a packet's first byte names, or null for the reserved type 0. */
export function packetType(firstByte: number): MqttPacketType | null {
  return PACKET_TYPES[firstByte >> 4] ?? null;
}

/** Protocol levels (CONNECT's Protocol Level byte): 3 is 3.1 (`MQIsdp`), 4 is 3.1.1, 5 is MQTT 5. */
export type MqttLevel = 3 | 4 | 5;

/** One MQTT Control Packet read whole: what an entry shows of it. */
export interface MqttPacket {
  type: MqttPacketType;
  /** The Packet Identifier, on the packets that have one (PUBLISH only at QoS 1 and 2). */
  packetId?: number;
  /** PUBLISH: the Topic Name as sent (empty when a v5 Topic Alias stands for it). */
  topic?: string;
  /** SUBSCRIBE, UNSUBSCRIBE: the Topic Filters. */
  filters?: string[];
  /** PUBLISH: its QoS. */
  qos?: number;
  /** CONNECT: its Protocol Level. */
  level?: MqttLevel;
  /** v5 PUBLISH: its Topic Alias property. */
  topicAlias?: number;
  /** The rest, JSON-safe (see the decoder's doc for each type); absent when there is nothing more. */
  value?: Record<string, unknown>;
}

/**
 * Reads one whole packet (fixed header included) as a connection at protocol `level` sends it;
 * CONNECT brings its own level. What breaks the packet's format is `{ error }`, never a throw.
 */
export function parsePacket(bytes: Buffer, level: MqttLevel): MqttPacket | { error: string } {
  const type = packetType(bytes[0] ?? 0);
  const label = type?.toUpperCase() ?? 'packet';
  try {
    if (type === null || (type === 'auth' && level !== 5)) throw new MalformedPacket(`reserved packet type ${bytes[0]! >> 4}`);
    const r = new MqttReader(bytes);
    const flags = r.u8() & 0x0f;
    r.varint();
    checkFlags(type, flags);
    const p = readBody(type, flags, r, level);
    if (r.left > 0) throw new MalformedPacket(`${r.left} bytes after its last field`);
    return p;
  } catch (err) {
    return { error: `malformed ${label}: ${(err as Error).message}` };
  }
}

/** 3.1.1 §2.2.2, v5 §2.1.3: the flags each type must have; PUBLISH's are its own (QoS 3 is malformed). */
function checkFlags(type: MqttPacketType, flags: number): void {
  if (type === 'publish') {
    if ((flags & 0x06) === 0x06) throw new MalformedPacket('QoS 3');
    return;
  }
  const want = type === 'pubrel' || type === 'subscribe' || type === 'unsubscribe' ? 0x02 : 0;
  if (flags !== want) throw new MalformedPacket(`fixed header flags ${flags.toString(2).padStart(4, '0')}, not ${want.toString(2).padStart(4, '0')}`);
}

function readBody(type: MqttPacketType, flags: number, r: MqttReader, level: MqttLevel): MqttPacket {
  const v5 = level === 5;
  switch (type) {
    case 'connect': return readConnect(r);
    case 'connack': {
      const ack = r.u8();
      if (ack > 1) throw new MalformedPacket('reserved Connect Acknowledge Flags set');
      const code = r.u8();
      const sessionPresent = ack === 1;
      if (v5) return { type, value: { sessionPresent, ...reason(code, type), ...properties(r) } };
      const named = CONNACK_V3[code];
      return { type, value: { sessionPresent, returnCode: code, ...(named === undefined ? {} : { reason: named }) } };
    }
    case 'publish': {
      const qos = (flags >> 1) & 3;
      const p: MqttPacket = { type, topic: r.utf8('the Topic Name'), qos };
      if (qos > 0) p.packetId = packetId(r);
      const props = v5 ? readProperties(r) : {};
      if (typeof props.topicAlias === 'number') p.topicAlias = props.topicAlias;
      p.value = { qos, retain: (flags & 1) === 1, dup: (flags & 8) === 8, ...nonEmpty(props), payload: bytesValue(r.rest()) };
      return p;
    }
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp': {
      const p: MqttPacket = { type, packetId: packetId(r) };
      // v5 §3.4.2.1: the Reason Code and the properties may be left out (Success, none).
      if (v5 && r.left > 0) p.value = { ...reason(r.u8(), type), ...(r.left > 0 ? properties(r) : {}) };
      return p;
    }
    case 'subscribe': case 'unsubscribe': {
      const p: MqttPacket = { type, packetId: packetId(r) };
      const props = v5 ? readProperties(r) : {};
      const subscriptions: Record<string, unknown>[] = [];
      const filters: string[] = [];
      while (r.left > 0) {
        const topic = r.utf8('a Topic Filter');
        filters.push(topic);
        if (type === 'subscribe') subscriptions.push({ topic, ...subscriptionOptions(r.u8(), v5) });
      }
      // 3.1.1 §3.8.3, §3.10.3: at least one filter.
      if (filters.length === 0) throw new MalformedPacket('no Topic Filter');
      p.filters = filters;
      const value = type === 'subscribe' ? { subscriptions, ...nonEmpty(props) } : nonEmpty(props);
      if (Object.keys(value).length > 0) p.value = value;
      return p;
    }
    case 'suback': case 'unsuback': {
      const p: MqttPacket = { type, packetId: packetId(r) };
      // 3.1.1's UNSUBACK ends at its Packet Identifier; SUBACK's payload (and v5 UNSUBACK's) is a code per filter.
      if (type === 'unsuback' && !v5) return p;
      const props = v5 ? readProperties(r) : {};
      const codes = [...r.rest()];
      if (codes.length === 0) throw new MalformedPacket(`no ${v5 ? 'Reason Code' : 'return code'}`);
      p.value = { [v5 ? 'reasonCodes' : 'returnCodes']: codes, ...nonEmpty(props) };
      return p;
    }
    case 'pingreq': case 'pingresp': return { type };
    case 'disconnect': case 'auth': {
      const p: MqttPacket = { type };
      // v5 §3.14.2.1, §3.15.2.1: a Remaining Length of 0 means Success, no properties.
      if (v5 && r.left > 0) p.value = { ...reason(r.u8(), type), ...(r.left > 0 ? properties(r) : {}) };
      return p;
    }
  }
}

/** 3.1 §3.1, 3.1.1 §3.1, v5 §3.1: the variable header, then the payload in the order its flags say. */
function readConnect(r: MqttReader): MqttPacket {
  const protocolName = r.utf8('the Protocol Name');
  const level = r.u8();
  if (!((protocolName === 'MQTT' && (level === 4 || level === 5)) || (protocolName === 'MQIsdp' && level === 3))) {
    throw new MalformedPacket(`protocol ${JSON.stringify(protocolName)} level ${level} is none of MQIsdp 3, MQTT 4, MQTT 5`);
  }
  const v5 = level === 5;
  const flags = r.u8();
  if (flags & 1) throw new MalformedPacket('the reserved Connect Flag is set');
  const value: Record<string, unknown> = {
    protocolName, protocolLevel: level, [v5 ? 'cleanStart' : 'cleanSession']: (flags & 2) === 2, keepAlive: r.u16(),
  };
  const props = v5 ? readProperties(r) : {};
  value.clientId = r.utf8('the Client Identifier');
  if (flags & 4) {
    const willProps = v5 ? readProperties(r) : {};
    const topic = r.utf8('the Will Topic');
    value.will = { topic, qos: (flags >> 3) & 3, retain: (flags & 0x20) === 0x20, ...nonEmpty(willProps), payload: bytesValue(r.binary()) };
  }
  if (flags & 0x80) value.username = r.utf8('the User Name');
  if (flags & 0x40) value.password = bytesValue(r.binary());
  Object.assign(value, nonEmpty(props));
  return { type: 'connect', level: level as MqttLevel, value };
}

function packetId(r: MqttReader): number {
  const id = r.u16();
  // 3.1.1 §2.3.1: a Packet Identifier is non-zero.
  if (id === 0) throw new MalformedPacket('Packet Identifier 0');
  return id;
}

/** The Subscription Options byte (3.1.1 §3.8.3.1: QoS only; v5 §3.8.3.1). */
function subscriptionOptions(o: number, v5: boolean): Record<string, unknown> {
  if ((o & 3) === 3) throw new MalformedPacket('a subscription at QoS 3');
  if (!v5) {
    if (o & 0xfc) throw new MalformedPacket('reserved subscription option bits set');
    return { qos: o };
  }
  if (o & 0xc0 || (o & 0x30) === 0x30) throw new MalformedPacket('reserved subscription option bits set');
  return { qos: o & 3, noLocal: (o & 4) === 4, retainAsPublished: (o & 8) === 8, retainHandling: (o >> 4) & 3 };
}

function properties(r: MqttReader): MqttProperties {
  return nonEmpty(readProperties(r));
}

function nonEmpty(props: MqttProperties): { properties?: MqttProperties } {
  return Object.keys(props).length > 0 ? { properties: props } : {};
}

/** A v5 Reason Code and its name (v5 §2.4), where the spec names it. */
function reason(code: number, type: MqttPacketType): { reasonCode: number; reason?: string } {
  const name = code === 0 ? SUCCESS[type] ?? 'Success' : REASON_CODES[code];
  return name === undefined ? { reasonCode: code } : { reasonCode: code, reason: name };
}

const SUCCESS: Partial<Record<MqttPacketType, string>> = { disconnect: 'Normal disconnection', suback: 'Granted QoS 0' };

/** 3.1.1 §3.2.2.3: CONNACK's Connect Return codes. */
const CONNACK_V3: Readonly<Record<number, string>> = {
  0: 'Connection Accepted', 1: 'Connection Refused, unacceptable protocol version', 2: 'Connection Refused, identifier rejected',
  3: 'Connection Refused, Server unavailable', 4: 'Connection Refused, bad user name or password', 5: 'Connection Refused, not authorized',
};

/** v5 §2.4: the Reason Codes other than 0. */
const REASON_CODES: Readonly<Record<number, string>> = {
  0x01: 'Granted QoS 1', 0x02: 'Granted QoS 2', 0x04: 'Disconnect with Will Message', 0x10: 'No matching subscribers',
  0x11: 'No subscription existed', 0x18: 'Continue authentication', 0x19: 'Re-authenticate', 0x80: 'Unspecified error',
  0x81: 'Malformed Packet', 0x82: 'Protocol Error', 0x83: 'Implementation specific error', 0x84: 'Unsupported Protocol Version',
  0x85: 'Client Identifier not valid', 0x86: 'Bad User Name or Password', 0x87: 'Not authorized', 0x88: 'Server unavailable',
  0x89: 'Server busy', 0x8a: 'Banned', 0x8b: 'Server shutting down', 0x8c: 'Bad authentication method', 0x8d: 'Keep Alive timeout',
  0x8e: 'Session taken over', 0x8f: 'Topic Filter invalid', 0x90: 'Topic Name invalid', 0x91: 'Packet Identifier in use',
  0x92: 'Packet Identifier not found', 0x93: 'Receive Maximum exceeded', 0x94: 'Topic Alias invalid', 0x95: 'Packet too large',
  0x96: 'Message rate too high', 0x97: 'Quota exceeded', 0x98: 'Administrative action', 0x99: 'Payload format invalid',
  0x9a: 'Retain not supported', 0x9b: 'QoS not supported', 0x9c: 'Use another server', 0x9d: 'Server moved',
  0x9e: 'Shared Subscriptions not supported', 0x9f: 'Connection rate exceeded', 0xa0: 'Maximum connect time',
  0xa1: 'Subscription Identifiers not supported', 0xa2: 'Wildcard Subscriptions not supported',
};
