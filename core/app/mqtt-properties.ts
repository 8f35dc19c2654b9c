import { bytesValue, MalformedPacket, type MqttReader } from './mqtt-reader.js';

type PropertyType = 'byte' | 'u16' | 'u32' | 'varint' | 'utf8' | 'binary' | 'pair';

/** MQTT 5 §2.2.2.2: every property's identifier, its name (as the spec's, in camel case) and data type. */
const PROPERTIES: ReadonlyMap<number, readonly [string, PropertyType]> = new Map([
  [0x01, ['payloadFormatIndicator', 'byte']],
  [0x02, ['messageExpiryInterval', 'u32']],
  [0x03, ['contentType', 'utf8']],
  [0x08, ['responseTopic', 'utf8']],
  [0x09, ['correlationData', 'binary']],
  [0x0b, ['subscriptionIdentifier', 'varint']],
  [0x11, ['sessionExpiryInterval', 'u32']],
  [0x12, ['assignedClientIdentifier', 'utf8']],
  [0x13, ['serverKeepAlive', 'u16']],
  [0x15, ['authenticationMethod', 'utf8']],
  [0x16, ['authenticationData', 'binary']],
  [0x17, ['requestProblemInformation', 'byte']],
  [0x18, ['willDelayInterval', 'u32']],
  [0x19, ['requestResponseInformation', 'byte']],
  [0x1a, ['responseInformation', 'utf8']],
  [0x1c, ['serverReference', 'utf8']],
  [0x1f, ['reasonString', 'utf8']],
  [0x21, ['receiveMaximum', 'u16']],
  [0x22, ['topicAliasMaximum', 'u16']],
  [0x23, ['topicAlias', 'u16']],
  [0x24, ['maximumQoS', 'byte']],
  [0x25, ['retainAvailable', 'byte']],
  [0x26, ['userProperties', 'pair']],
  [0x27, ['maximumPacketSize', 'u32']],
  [0x28, ['wildcardSubscriptionAvailable', 'byte']],
  [0x29, ['subscriptionIdentifiersAvailable', 'byte']],
  [0x2a, ['sharedSubscriptionAvailable', 'byte']],
]);

/**
 * An MQTT 5 packet's properties, JSON-safe: by name, numbers as sent, strings, binary data as
 * text when valid UTF-8 else `{"base64":…}`. `userProperties` is an object of the pairs in order;
 * a name or property that comes more than once (user properties, subscription identifiers) has an
 * array of its values.
 */
export type MqttProperties = Record<string, unknown>;

/**
 * Reads a Property Length and the properties it covers (MQTT 5 §2.2.2) at the reader's position.
 * Throws `MalformedPacket` on an unknown identifier (its length cannot be known) or a property
 * that runs past the property length.
 */
export function readProperties(r: MqttReader): MqttProperties {
  const length = r.varint();
  if (length > r.left) throw new MalformedPacket(`a property length of ${length} with ${r.left} bytes left`);
  const end = r.left - length;
  const props: MqttProperties = {};
  while (r.left > end) {
    const id = r.varint();
    const p = PROPERTIES.get(id);
    if (!p) throw new MalformedPacket(`unknown property identifier 0x${id.toString(16).padStart(2, '0')}`);
    const [name, type] = p;
    if (type === 'pair') {
      const key = r.utf8('a user property name');
      add((props.userProperties ??= {}) as Record<string, unknown>, key, r.utf8('a user property value'));
    } else {
      add(props, name, readValue(r, type, name));
    }
  }
  if (r.left < end) throw new MalformedPacket('the last property runs past the property length');
  return props;
}

function readValue(r: MqttReader, type: Exclude<PropertyType, 'pair'>, name: string): unknown {
  switch (type) {
    case 'byte': return r.u8();
    case 'u16': return r.u16();
    case 'u32': return r.u32();
    case 'varint': return r.varint();
    case 'utf8': return r.utf8(name);
    case 'binary': return bytesValue(r.binary());
  }
}

/** Sets `key` (defined, so a user property named `__proto__` stays a property), or adds to the values it has. */
function add(into: Record<string, unknown>, key: string, value: unknown): void {
  if (!Object.hasOwn(into, key)) Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else if (Array.isArray(into[key])) (into[key] as unknown[]).push(value);
  else into[key] = [into[key], value];
}
