import type { MessageRecord } from '../log/records.js';
import { otherSide } from '../websocket/events.js';
import type { AppDecoder } from './app-decoder.js';
import type { AppEntry } from './app-entry.js';
import { inEntryOrder } from './entry-order.js';
import { Exchanges } from './exchanges.js';
import { requestedOperation } from './graphql-document.js';
import { isObject, readJsonMessage } from './json-message.js';

/**
 * What a message type does in a GraphQL-over-WebSocket exchange:
 * - `init`: asks for the connection (`connection_init`); `init_reply` answers it;
 * - `ping` expects a `pong` from the other side; `keep_alive` is a heartbeat nobody answers;
 * - `operation` starts an operation under its `id`; `result` is one of its results;
 *   `end` finishes it (from either side);
 * - `other`: carries no exchange.
 */
export type MessageRole = 'init' | 'init_reply' | 'ping' | 'pong' | 'keep_alive' | 'operation' | 'result' | 'end' | 'other';

/** The two GraphQL-over-WebSocket protocols: graphql-ws's and subscriptions-transport-ws's. */
export type GraphqlProtocolName = 'graphql-transport-ws' | 'graphql-ws';

/**
 * The close codes of graphql-ws (its PROTOCOL.md and `CloseCode`), explained: both protocols'
 * connections meet them, since a graphql-ws server closes a legacy client with 4406.
 */
export const GRAPHQL_CLOSE_CODES: ReadonlyMap<number, string> = new Map([
  [4004, 'Bad response: the client received an invalid message from the server'],
  [4005, 'Internal client error'],
  [4400, 'Bad request: a message of a type or format the protocol does not allow'],
  [4401, 'Unauthorized: an operation was subscribed before the server acknowledged the connection'],
  [4403, 'Forbidden: the server rejected the connection_init'],
  [4406, 'Subprotocol not acceptable: the server does not speak the subprotocol the client chose'],
  [4408, 'Connection initialisation timeout: no connection_init came in time'],
  [4409, 'Subscriber already exists: a subscribe reused the id of a running operation'],
  [4429, 'Too many initialisation requests: connection_init was sent more than once'],
  [4499, 'Terminated: the client gave up on the socket'],
  [4500, 'Internal server error'],
  [4504, 'Connection acknowledgement timeout: no connection_ack came in time'],
]);

/**
 * Reads one connection of either GraphQL-over-WebSocket protocol: every message is a JSON object
 * with a `type`, operations carry the client's `id`. An operation's entry has `id`, `name`
 * (`operationName`, else the document's first operation's) and `operation`; its results and its
 * end pair with it and carry its `name`, `operation` and `id` (a result for an operation not seen
 * starting has no `id`: it would look like a request waiting for replies). The end gets `count`
 * (results before it) and `durationMs`. The first close with one of the protocol's codes gets a
 * `close` entry whose `error` explains the code (the peer's echo of it gets none).
 */
export class GraphqlDecoder implements AppDecoder {
  private readonly exchanges = new Exchanges();
  /** A close was explained: the other side's echo of it is not explained again. */
  private closed = false;

  constructor(
    private readonly protocol: GraphqlProtocolName,
    private readonly roles: ReadonlyMap<string, MessageRole>,
  ) {}

  decode(m: MessageRecord): AppEntry[] | null {
    if (m.kind === 'close') return this.close(m);
    if (m.kind !== 'text' && m.kind !== 'binary') return null;
    const read = readJsonMessage(m);
    if ('error' in read) return [{ protocol: this.protocol, error: read.error }];
    const msg = read.value;
    if (!isObject(msg) || typeof msg.type !== 'string') return [{ protocol: this.protocol, error: 'not a message: a JSON object with a "type" is expected' }];
    return [inEntryOrder(this.entry(m, msg.type, msg))];
  }

  private entry(m: MessageRecord, type: string, msg: Record<string, unknown>): AppEntry {
    const e: AppEntry = { protocol: this.protocol, type };
    const id = typeof msg.id === 'string' || typeof msg.id === 'number' ? msg.id : undefined;
    const payload = msg.payload;
    const opKey = `op:${JSON.stringify(id)}`;
    switch (this.roles.get(type) ?? 'other') {
      case 'init':
        setValue(e, payload);
        this.exchanges.request('init', m, e);
        break;
      case 'init_reply':
        setValue(e, payload);
        this.exchanges.answer('init', m, e);
        break;
      case 'ping':
        e.heartbeat = true;
        setValue(e, payload);
        this.exchanges.request(`ping:${m.from}`, m, e);
        break;
      case 'pong':
        // A pong may also be sent unsolicited, as a one-way heartbeat (graphql-ws PROTOCOL.md, Pong).
        e.heartbeat = true;
        setValue(e, payload);
        this.exchanges.answer(`ping:${otherSide(m.from)}`, m, e);
        break;
      case 'keep_alive':
        e.heartbeat = true;
        break;
      case 'operation':
        if (isObject(payload)) {
          Object.assign(e, operationOf(payload));
          setValue(e, payload.variables);
        }
        if (id !== undefined) {
          e.id = id;
          this.exchanges.request(opKey, m, e);
        }
        break;
      case 'result':
        setValue(e, payload);
        if (id !== undefined) this.paired(e, id, this.exchanges.reply(opKey, m, e));
        break;
      case 'end':
        setValue(e, payload);
        if (id !== undefined) this.paired(e, id, this.exchanges.end(opKey, m, e));
        break;
      case 'other':
        setValue(e, payload);
        break;
    }
    return e;
  }

  /** A reply found its operation: it carries the operation's id and type too. */
  private paired(e: AppEntry, id: string | number, request: AppEntry | null): void {
    if (request === null) return;
    e.id = id;
    if (request.operation !== undefined) e.operation = request.operation;
  }

  private close(m: MessageRecord): AppEntry[] | null {
    const meaning = m.close?.code == null ? undefined : GRAPHQL_CLOSE_CODES.get(m.close.code);
    if (meaning === undefined || this.closed) return null;
    this.closed = true;
    return [{ protocol: this.protocol, type: 'close', error: meaning }];
  }
}

/** The operation a subscribe/start payload asks for: `operationName` wins over the document's first name. */
function operationOf(payload: Record<string, unknown>): Partial<Pick<AppEntry, 'name' | 'operation'>> {
  const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
  if (typeof payload.query !== 'string') return operationName === undefined ? {} : { name: operationName };
  const head = requestedOperation(payload.query, operationName);
  const out: Partial<Pick<AppEntry, 'name' | 'operation'>> = {};
  if (head.name !== undefined) out.name = head.name;
  if (head.operation !== undefined) out.operation = head.operation;
  return out;
}

function setValue(e: AppEntry, v: unknown): void {
  if (v !== undefined && v !== null) e.value = v;
}
