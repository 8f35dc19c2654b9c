import type { IConversionOptions, Namespace, ReflectionObject, Root, Type } from 'protobufjs';
import type { Side } from '../../websocket/events.js';
import { FormatError, MAX_DEPTH, toJsonSafe } from './json-safe.js';

/** What `--proto FILE` and its message types give: the parsed .proto (the CLI loads it) and a type per direction. */
export interface ProtobufSchemaOptions {
  root: Root;
  /** Fully-qualified message type names (`chat.Message`, a leading dot allowed); one given alone reads both directions. */
  types: { client?: string; server?: string };
}

/** As Protobuf's JSON mapping writes values: 64-bit integers and enums as strings, bytes as base64 strings, NaN and ±Infinity as strings. */
const TO_OBJECT: IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

/** A .proto's message types chosen per direction; decodes a message's bytes into its fields by name. */
export class ProtobufSchema {
  private readonly client: Type;
  private readonly server: Type;

  /** Throws (a usage error) when no type is named, or a name is not a message type of the file: the message lists those it has. */
  constructor(options: ProtobufSchemaOptions) {
    const { client, server } = options.types;
    const first = client ?? server;
    if (first === undefined) throw new Error(`name the message type to read (${listTypes(options.root)})`);
    this.client = findType(options.root, client ?? first);
    this.server = findType(options.root, server ?? first);
  }

  /** The fully-qualified name of the type read from `side`. */
  typeName(side: Side): string {
    return this.type(side).fullName.replace(/^\./, '');
  }

  /** The message `side` sent, by field name (see TO_OBJECT). Throws FormatError when the bytes are not one of its type. */
  decode(side: Side, bytes: Uint8Array): unknown {
    const type = this.type(side);
    try {
      return toJsonSafe(type.toObject(type.decode(bytes), TO_OBJECT));
    } catch (err) {
      throw new FormatError(`not a ${this.typeName(side)}: ${(err as Error).message}`);
    }
  }

  private type(side: Side): Type {
    return side === 'client' ? this.client : this.server;
  }
}

/** A .proto's message types for reading a payload as any of them (the UI's choice, `P`). */
export interface ProtobufTypes {
  /** Every message type the file defines, fully qualified. */
  readonly names: readonly string[];
  /** `bytes` as a message of type `name`, by field name (see TO_OBJECT), or why it is not one. */
  decode(name: string, bytes: Uint8Array): { value: unknown } | { error: string };
}

/** The message types of a parsed .proto, each ready to read a payload. */
export function protobufTypes(root: Root): ProtobufTypes {
  const names = messageTypeNames(root);
  return {
    names,
    decode(name, bytes) {
      try {
        const type = findType(root, name);
        return { value: toJsonSafe(type.toObject(type.decode(bytes), TO_OBJECT)) };
      } catch (err) {
        return { error: (err as Error).message };
      }
    },
  };
}

/** Every message type a parsed .proto defines, fully qualified, in the file's order. */
export function messageTypeNames(root: Root): string[] {
  const names: string[] = [];
  const walk = (ns: ReflectionObject, depth: number): void => {
    if (isType(ns)) names.push(ns.fullName.replace(/^\./, ''));
    if (depth < MAX_DEPTH && 'nestedArray' in ns) for (const child of (ns as Namespace).nestedArray) walk(child, depth + 1);
  };
  walk(root, 0);
  return names;
}

function findType(root: Root, name: string): Type {
  const wanted = name.replace(/^\./, '');
  const found = messageTypeNames(root).includes(wanted) ? root.lookup(wanted) : null;
  if (found && isType(found)) return found;
  throw new Error(`no message type ${JSON.stringify(name)} in the .proto (${listTypes(root)})`);
}

function listTypes(root: Root): string {
  const names = messageTypeNames(root);
  return names.length === 0 ? 'it defines none' : `it defines ${names.join(', ')}`;
}

/** A message type (protobufjs's Type: fields and a decoder), told apart without loading protobufjs. */
function isType(o: ReflectionObject): o is Type {
  return 'fieldsArray' in o && typeof (o as Type).decode === 'function';
}
