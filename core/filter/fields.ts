import { ANSWERED, APP_PROTOCOL_NAMES, isRequest, type AppEntry, type KeptAppEntry } from '../app/app-entry.js';
import type { FilterPredicate, FilterSubject } from './filter.js';
import { hostOf } from './host-of.js';

/**
 * The filter language's vocabulary: every field (`name:value`) and every bare keyword. The
 * lexer, the parser, the "did you mean" hints, the `?` help and the README table all read these
 * two tables; a new field or keyword is one entry here (and a FilterSubject property if it needs
 * data the subject does not have yet).
 */

type Read<T> = (s: FilterSubject) => T;

/** How a field's value is read from a row, which determines the values it takes and how it compares. */
export type FieldType =
  /** An integer, decimal or 0x hex; `:` `=` `!=` (with lists) and `<` `<=` `>` `>=`. NaN: the row has none. */
  | { type: 'number'; read: Read<number> }
  /** A number that may end in a size unit (k, kb, kib, m, mb, mib: 1024-based; b). */
  | { type: 'size'; read: Read<number> }
  /**
   * Contains the text, ignoring case; null: the row has none. `part`, if given, picks what is
   * tested out of the string read. The lower-cased result is cached per string read (rows of a
   * connection share their URL string).
   */
  | { type: 'text'; read: Read<string | null>; part?: (value: string) => string }
  /**
   * Contains the text, ignoring case; read at most once per row, and only by rows that get that
   * far. The first field of this type is what bare words, quoted strings and regexes search.
   */
  | { type: 'payload'; read: Read<string> }
  /** One of the words in CHOICES[type]; a comma list means any of them. null: the row has none. */
  | { type: ChoiceType; read: Read<string | null> }
  /**
   * Fields of the application entries (`app`): a row matches when any of its entries does, and
   * `!=` when some entry has the value and none matches; a row without entries has none.
   * `entry-text`: contains the text, ignoring case.
   */
  | { type: 'entry-text'; entry: (e: AppEntry) => string | undefined }
  /**
   * Is one of the values, exactly (`12` is the number 12 or the string "12"); a bare comma list
   * means any of them, a quoted value is one. `choices`, if given, are the only values.
   */
  | { type: 'entry-is'; entry: (e: AppEntry) => string | number | undefined; choices?: EntryChoices }
  /** Milliseconds, typed with a unit (us or µs, ms, s; ms without one); all the number operators. */
  | { type: 'entry-duration'; entry: (e: AppEntry) => number | undefined }
  /**
   * A JSON path (`json.a.b[0]`): `read` gives the JSON values of a row to walk it in (none: an
   * empty array). Read at most once per row, like a payload; `~` is for these paths only.
   */
  | { type: 'json'; read: Read<readonly unknown[]> };

/** The only values an entry field takes: lower-case, typed in any case, the did-you-mean candidates. */
export interface EntryChoices {
  /** What a value is called in an error: unknown protocol 'x'. */
  noun: string;
  words: readonly string[];
}

export type Field = FieldType & {
  /** Lower-case; typed in any case. */
  name: string;
  aliases: readonly string[];
  /** Starts with the name; error messages put the name the user typed in its place. */
  example: string;
  help: string;
};

export interface Keyword {
  /** Lower-case; typed in any case. */
  name: string;
  aliases: readonly string[];
  test: FilterPredicate;
  /** Keywords with the same help share a help row. */
  help: string;
}

export const FIELDS: readonly Field[] = [
  { name: 'from', aliases: [], type: 'direction', read: (s) => s.from, example: 'from:client', help: 'sender, as a field: client or server (or c2s, s2c)' },
  { name: 'kind', aliases: [], type: 'kind', read: (s) => s.kind, example: 'kind:text', help: 'message kind, as a field (or control, data); kind:ping,pong is any of them' },
  { name: 'opcode', aliases: [], type: 'number', read: (s) => s.opcode, example: 'opcode:9', help: 'WebSocket opcode, decimal or 0x hex (1 text, 2 binary, 8 close, 9 ping, 10 pong)' },
  { name: 'conn', aliases: [], type: 'number', read: (s) => s.conn, example: 'conn:3', help: 'connection id; conn:1,4,7 is any of them' },
  { name: 'host', aliases: [], type: 'text', read: (s) => s.url, part: hostOf, example: 'host:example', help: 'host[:port] of the connection URL contains the text (any case)' },
  { name: 'url', aliases: [], type: 'text', read: (s) => s.url, example: 'url:/chat', help: 'the connection URL contains the text (any case)' },
  { name: 'payload', aliases: [], type: 'payload', read: (s) => s.payloadText(), example: 'payload:hello', help: 'the payload contains the text (any case)' },
  { name: 'len', aliases: ['length'], type: 'size', read: (s) => s.length, example: 'len>100', help: 'payload length; sizes like 1k, 2kb, 1.5m are 1024-based' },
  { name: 'code', aliases: ['close'], type: 'number', read: (s) => s.closeCode ?? NaN, example: 'code:1000', help: 'close code (false for messages without one)' },
  { name: 'violations', aliases: [], type: 'number', read: (s) => s.violations, example: 'violations>1', help: 'how many protocol violations were recorded for the message' },
  {
    name: 'proto',
    aliases: [],
    type: 'entry-is',
    entry: (e) => e.protocol,
    choices: { noun: 'protocol', words: APP_PROTOCOL_NAMES },
    example: 'proto:socket.io',
    help: `application protocol read from the message: ${APP_PROTOCOL_NAMES.join(', ')}; proto:mqtt,stomp is any of them`,
  },
  {
    name: 'name',
    aliases: [],
    type: 'entry-text',
    entry: (e) => e.name,
    example: 'name:message',
    help: 'the application message\'s name contains the text (any case): Socket.IO event, GraphQL operation, JSON-RPC method, SignalR target, MQTT topic, STOMP destination',
  },
  {
    name: 'id',
    aliases: [],
    type: 'entry-is',
    entry: (e) => e.id,
    example: 'id:12',
    help: 'application message id, exactly (Socket.IO ack, MQTT packet, SignalR invocation, STOMP subscription or receipt id…); id:1,2 is any of them',
  },
  { name: 'latency', aliases: [], type: 'entry-duration', entry: (e) => e.latencyMs, example: 'latency>100ms', help: "a reply's time since its request: us (or µs), ms (the default), s" },
  {
    name: 'json',
    aliases: [],
    type: 'json',
    read: jsonRoots,
    example: 'json.type=subscribe',
    help: "a value in the message's JSON: a text payload, each application entry's value, each Socket.IO argument (any of them)",
  },
];

export const KEYWORDS: readonly Keyword[] = [
  { name: 'client', aliases: ['c2s', '>'], test: (s) => s.from === 'client', help: 'sent by the client (client→server)' },
  { name: 'server', aliases: ['s2c', '<'], test: (s) => s.from === 'server', help: 'sent by the server (server→client)' },
  { name: 'text', aliases: [], test: (s) => s.kind === 'text', help: 'message kind' },
  { name: 'binary', aliases: [], test: (s) => s.kind === 'binary', help: 'message kind' },
  { name: 'ping', aliases: [], test: (s) => s.kind === 'ping', help: 'message kind' },
  { name: 'pong', aliases: [], test: (s) => s.kind === 'pong', help: 'message kind' },
  { name: 'close', aliases: [], test: (s) => s.kind === 'close', help: 'message kind' },
  {
    name: 'control',
    aliases: [],
    test: (s) => {
      const k = s.kind;
      return k === 'ping' || k === 'pong' || k === 'close';
    },
    help: 'ping, pong or close',
  },
  {
    name: 'data',
    aliases: [],
    test: (s) => {
      const k = s.kind;
      return k === 'text' || k === 'binary';
    },
    help: 'text or binary',
  },
  { name: 'compressed', aliases: [], test: (s) => s.compressed, help: 'the message was compressed (permessage-deflate)' },
  { name: 'truncated', aliases: [], test: (s) => s.truncated, help: 'only the first --max-payload bytes of the payload were kept (in the UI, also a payload over 64 KiB of which it keeps only the start)' },
  { name: 'violation', aliases: ['bad', 'violations'], test: (s) => s.violations > 0, help: 'a protocol violation was recorded for the message' },
  { name: 'error', aliases: [], test: (s) => s.type === 'error', help: "an error of wspeek's own on the connection (decoding stopped; the traffic still passes)" },
  { name: 'held', aliases: [], test: (s) => s.actions?.held === true, help: 'held by the intercept filter, waiting for a decision (forward, drop, edit)' },
  { name: 'dropped', aliases: [], test: (s) => s.actions?.dropped === true, help: 'dropped by wspeek: the receiver never got it' },
  { name: 'edited', aliases: [], test: (s) => s.actions?.edited === true, help: 'edited (by the user or a script): wspeek sends, or sent, the edit instead' },
  { name: 'injected', aliases: [], test: (s) => s.actions?.injected === true, help: 'a message wspeek sent itself: composed, or sent again' },
  { name: 'acted', aliases: [], test: (s) => s.actions !== null, help: 'wspeek acted on the message: any of the above, or held and forwarded, sent again, re-encoded' },
  { name: 'heartbeat', aliases: [], test: (s) => anyEntry(s, isHeartbeat), help: 'an application keep-alive: Engine.IO, GraphQL, SignalR, MQTT pings and pongs, SockJS h, STOMP heart-beats' },
  { name: 'request', aliases: [], test: (s) => anyEntry(s, isRequest), help: 'an application request: it has an id and is no reply (a Socket.IO event that wants an ack, a JSON-RPC call…)' },
  { name: 'reply', aliases: [], test: (s) => anyEntry(s, isReply), help: 'an application reply: it answers a request (latency says how long after)' },
  { name: 'unanswered', aliases: [], test: (s) => anyEntry(s, isUnanswered), help: 'a request no reply has answered (yet)' },
];

/** Whether any of the row's application entries passes `test`; false for a row without entries. */
function anyEntry(s: FilterSubject, test: (e: KeptAppEntry) => boolean): boolean {
  const app = s.app;
  return app !== null && app.some(test);
}

function isHeartbeat(e: AppEntry): boolean {
  return e.heartbeat === true;
}

function isReply(e: AppEntry): boolean {
  return e.pair !== undefined;
}

function isUnanswered(e: KeptAppEntry): boolean {
  return isRequest(e) && e[ANSWERED] !== true;
}

/**
 * The JSON values a json path is tested in, in this order: the text payload (if it is a JSON
 * object or array), then each application entry's `value` and each of its `args` on its own (a
 * Socket.IO event's arguments, so `json.room=a` finds `42["join",{"room":"a"}]`).
 */
function jsonRoots(s: FilterSubject): readonly unknown[] {
  const payload = s.payloadJson();
  const roots: unknown[] = payload === undefined ? [] : [payload];
  const app = s.app;
  if (app === null) return roots;
  for (const e of app) {
    if (e.value !== undefined) roots.push(e.value);
    if (e.args !== undefined) for (const arg of e.args) roots.push(arg);
  }
  return roots;
}

/** The values of the choice types, and what each means; the first words are the did-you-mean candidates. */
export const CHOICES = {
  direction: {
    noun: 'direction',
    words: new Map<string, readonly NonNullable<FilterSubject['from']>[]>([
      ['client', ['client']],
      ['c2s', ['client']],
      ['server', ['server']],
      ['s2c', ['server']],
    ]),
    /** Said when no word is close to what was typed. */
    otherwise: ' (use client or server)',
  },
  kind: {
    noun: 'kind',
    words: new Map<string, readonly NonNullable<FilterSubject['kind']>[]>([
      ['text', ['text']],
      ['binary', ['binary']],
      ['ping', ['ping']],
      ['pong', ['pong']],
      ['close', ['close']],
      ['control', ['ping', 'pong', 'close']],
      ['data', ['text', 'binary']],
    ]),
    otherwise: '',
  },
} as const;
export type ChoiceType = keyof typeof CHOICES;

/** Every field name and alias, lower-case; a Map so that `constructor` & co. are not names. */
const FIELD_BY_NAME = new Map(FIELDS.flatMap((f) => [f.name, ...f.aliases].map((n) => [n, f] as const)));
const KEYWORD_BY_NAME = new Map(KEYWORDS.flatMap((k) => [k.name, ...k.aliases].map((n) => [n, k] as const)));

/** Field names and aliases in table order (did-you-mean candidates). */
export const FIELD_NAMES: readonly string[] = [...FIELD_BY_NAME.keys()];

/** The field a lower-case name or alias stands for. */
export function fieldNamed(name: string): Field | undefined {
  return FIELD_BY_NAME.get(name);
}

/** The keyword a lower-case word or alias stands for. */
export function keywordNamed(word: string): Keyword | undefined {
  return KEYWORD_BY_NAME.get(word);
}

/** The field's example with `typed` (the name or alias the user typed) in place of the name. */
export function exampleFor(field: Field, typed: string): string {
  return typed + field.example.slice(field.name.length);
}
