import type { MessageRecord } from '../log/records.js';
import type { AppDecoder, AppProtocol } from './app-decoder.js';
import type { AppEntry } from './app-entry.js';
import { parseJson } from './json-message.js';
import { StompReader } from './stomp.js';
import { opensStomp } from './stomp-frame.js';

/** A SockJS WebSocket URL's path: `/<prefix>/<server>/<session>/websocket`, server digits, session without dots (sockjs-protocol 0.3). */
const SOCKJS_PATH = /\/\d+\/[^/.]+\/websocket\/?$/;

/**
 * SockJS over WebSocket. The server sends frames: `o` open, `h` heartbeat, `a["…",…]` messages,
 * `c[code,"reason"]` close; the client sends a JSON array of strings (or one JSON string). The
 * messages inside are STOMP once a client message opens a STOMP session (each read by a
 * `StompReader`: STOMP entries), else each is a `sockjs` `message` entry with the string as `value`.
 */
class SockJsDecoder implements AppDecoder {
  private stomp: StompReader | null = null;

  decode(m: MessageRecord): AppEntry[] | null {
    if (m.kind !== 'text' && m.kind !== 'binary') return null;
    if (m.kind === 'binary' || m.text === undefined) return [{ protocol: 'sockjs', error: 'SockJS frames are UTF-8 text' }];
    const cut = m.truncated || m.incomplete === true;
    return m.from === 'server' ? this.serverFrame(m, m.text, cut) : this.clientFrame(m, m.text, cut);
  }

  private serverFrame(m: MessageRecord, text: string, cut: boolean): AppEntry[] | null {
    switch (text[0]) {
      case 'o':
        return text === 'o' ? [{ protocol: 'sockjs', type: 'open' }] : unreadable(text);
      case 'h':
        return text === 'h' ? [{ protocol: 'sockjs', type: 'heartbeat', heartbeat: true }] : unreadable(text);
      case 'a':
        return this.messages(m, text.slice(1), cut);
      case 'c': {
        const close = parseJson(text.slice(1));
        // sockjs-node writes the code as its caller gave it: a number, or a string.
        if (!Array.isArray(close) || close.length !== 2 || !['number', 'string'].includes(typeof close[0]) || typeof close[1] !== 'string') return unreadable(text);
        return [{ protocol: 'sockjs', type: 'close', value: { code: close[0], reason: close[1] } }];
      }
      case undefined:
        return null;
      default:
        return unreadable(text);
    }
  }

  private clientFrame(m: MessageRecord, text: string, cut: boolean): AppEntry[] | null {
    // sockjs-node ignores an empty message.
    if (text === '') return null;
    return this.messages(m, text, cut);
  }

  /** The entries of the messages in `json` (a JSON array of strings, or one string). */
  private messages(m: MessageRecord, json: string, cut: boolean): AppEntry[] {
    if (cut) return [{ protocol: 'sockjs', type: 'message', error: 'the message was cut short: its SockJS messages are not read' }];
    const parsed = parseJson(json);
    const list = typeof parsed === 'string' ? [parsed] : parsed;
    if (!Array.isArray(list) || !list.every((s): s is string => typeof s === 'string')) return unreadable(json);
    const entries: AppEntry[] = [];
    for (const s of list) {
      if (this.stomp === null && m.from === 'client' && opensStomp(s)) this.stomp = new StompReader(null);
      if (this.stomp === null) entries.push({ protocol: 'sockjs', type: 'message', value: s });
      else entries.push(...(this.stomp.read(m, Buffer.from(s, 'utf8'), false) ?? []));
    }
    return entries;
  }
}

function unreadable(text: string): AppEntry[] {
  return [{ protocol: 'sockjs', error: `not a SockJS frame: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}` }];
}

/**
 * SockJS (sockjs-protocol 0.3), the WebSocket transport: chosen by its URL
 * (`/<prefix>/<server>/<session>/websocket`) or sniffed on the server's open frame `o`.
 */
export const SOCKJS: AppProtocol = {
  name: 'sockjs',
  subprotocols: [],
  matchesUrl: (url) => SOCKJS_PATH.test(url.pathname),
  sniff: (m) => m.from === 'server' && m.kind === 'text' && m.text === 'o',
  create: () => new SockJsDecoder(),
};
