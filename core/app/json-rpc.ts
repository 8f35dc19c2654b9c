import type { MessageRecord } from '../log/records.js';
import { otherSide } from '../websocket/events.js';
import type { AppDecoder, AppProtocol } from './app-decoder.js';
import type { AppEntry } from './app-entry.js';
import { inEntryOrder } from './entry-order.js';
import { Exchanges } from './exchanges.js';
import { isObject, readJsonMessage } from './json-message.js';

/**
 * JSON-RPC 2.0 (jsonrpc.org/specification). It has no registered subprotocol: these tokens are
 * the ones servers use when they name one; most (Ethereum nodes, language servers) name none and
 * are sniffed.
 */
export const JSON_RPC: AppProtocol = {
  name: 'json-rpc',
  subprotocols: ['jsonrpc', 'json-rpc', 'jsonrpc-2.0'],
  sniff: isJsonRpcMessage,
  create: () => new JsonRpcDecoder(),
};

/**
 * True for a text message that is a JSON-RPC 2.0 object or a non-empty batch of them: each says
 * `"jsonrpc": "2.0"` (§4, §5, §6). Text that cannot be one is turned away before it is parsed.
 */
export function isJsonRpcMessage(m: MessageRecord): boolean {
  const text = m.text;
  if (m.kind !== 'text' || text === undefined || m.truncated || !text.includes('"jsonrpc"')) return false;
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return false;
  const read = readJsonMessage(m);
  if ('error' in read) return false;
  const v = read.value;
  const elements = Array.isArray(v) ? v : [v];
  return elements.length > 0 && elements.every((x) => isObject(x) && x.jsonrpc === '2.0');
}

type Id = string | number;

/**
 * Reads a JSON-RPC 2.0 connection: one entry per request, notification or response, so a batch
 * (§6) has one per element. Either peer may send requests (a server's notifications and
 * requests to its client are common over WebSocket), so a request is remembered under its
 * sender and id, and a response pairs with the other side's request of the same id, carrying
 * its method as `name`. A response whose request was not seen has no `id` (it would look like a
 * request waiting for its reply), nor does an error about a request the server could not read
 * (`"id": null`, §5).
 */
export class JsonRpcDecoder implements AppDecoder {
  private readonly exchanges = new Exchanges();

  decode(m: MessageRecord): AppEntry[] | null {
    if (m.kind !== 'text' && m.kind !== 'binary') return null;
    const read = readJsonMessage(m);
    if ('error' in read) return [{ protocol: 'json-rpc', error: read.error }];
    const v = read.value;
    if (!Array.isArray(v)) return [inEntryOrder(this.element(m, v))];
    if (v.length === 0) return [{ protocol: 'json-rpc', error: 'an empty batch' }];
    return v.map((x) => inEntryOrder(this.element(m, x)));
  }

  private element(m: MessageRecord, x: unknown): AppEntry {
    if (!isObject(x) || x.jsonrpc !== '2.0') return { protocol: 'json-rpc', error: 'not a JSON-RPC 2.0 request or response' };
    const id = typeof x.id === 'string' || typeof x.id === 'number' ? x.id : undefined;
    if (typeof x.method === 'string') {
      // §4.1: a request without an `id` member is a notification, and gets no response.
      const e: AppEntry = { protocol: 'json-rpc', type: 'id' in x ? 'request' : 'notification', name: x.method };
      if (x.params !== undefined) e.value = x.params;
      if (id !== undefined) {
        e.id = id;
        this.exchanges.request(key(m.from, id), m, e);
      }
      return e;
    }
    // §5: a response has `result` on success, `error` (an object) on failure, never both.
    let e: AppEntry;
    if ('result' in x) e = { protocol: 'json-rpc', type: 'response', value: x.result };
    else if (isObject(x.error)) e = { protocol: 'json-rpc', type: 'error', value: x.error };
    else return { protocol: 'json-rpc', error: 'not a JSON-RPC 2.0 request or response' };
    if (id !== undefined && this.exchanges.answer(key(otherSide(m.from), id), m, e) !== null) e.id = id;
    return e;
  }
}

/** Where a request from `side` with `id` waits: `1` and `"1"` are different ids. */
function key(side: string, id: Id): string {
  return `${side}:${typeof id}:${id}`;
}
