// A minimal STOMP 1.2 broker for live tests: one per connection, fed the bytes the client sends, answering
// CONNECT/STOMP, SUBSCRIBE, SEND, UNSUBSCRIBE, DISCONNECT and receipts as the spec says. Topics are
// in-process: every SEND goes to every subscription (of any connection of the same broker) on its destination.

import { isUtf8 } from 'node:buffer';

type Headers = Record<string, string>;

interface Subscription {
  id: string;
  destination: string;
  deliver(frame: Buffer): void;
}

/** One broker: `connection(send)` serves a client connection; feed it what the client sends. */
export class MiniStompBroker {
  private readonly subscriptions = new Set<Subscription>();
  private messageIds = 0;

  /** `heartBeat`: the CONNECTED frame's heart-beat header (sx,sy). */
  constructor(private readonly heartBeat = '0,0') {}

  /** A client connection; `send` writes a message to it (text when `binary` is false). Returns the function to feed its messages to. */
  connection(send: (data: Buffer, binary: boolean) => void): { receive(data: Buffer | string): void; close(): void } {
    let buffered = Buffer.alloc(0);
    const mine = new Set<Subscription>();
    const frame = (command: string, headers: Headers, body: Buffer = Buffer.alloc(0)): Buffer => Buffer.concat([
      Buffer.from(`${command}\n${Object.entries(headers).map(([k, v]) => `${k}:${v}\n`).join('')}\n`, 'utf8'), body, Buffer.from([0]),
    ]);
    const deliver = (f: Buffer) => send(f, !isUtf8(f));
    const receipt = (h: Headers) => {
      if (h.receipt !== undefined) deliver(frame('RECEIPT', { 'receipt-id': h.receipt }));
    };
    const handle = (command: string, h: Headers, body: Buffer) => {
      switch (command) {
        case 'CONNECT':
        case 'STOMP':
          deliver(frame('CONNECTED', { version: '1.2', 'heart-beat': this.heartBeat, server: 'mini-broker/1' }));
          if (this.heartBeat !== '0,0') deliver(Buffer.from('\n'));
          break;
        case 'SUBSCRIBE': {
          const s: Subscription = { id: h.id!, destination: h.destination!, deliver };
          this.subscriptions.add(s);
          mine.add(s);
          receipt(h);
          break;
        }
        case 'UNSUBSCRIBE':
          for (const s of mine) {
            if (s.id !== h.id) continue;
            mine.delete(s);
            this.subscriptions.delete(s);
          }
          receipt(h);
          break;
        case 'SEND': {
          for (const s of this.subscriptions) {
            if (s.destination !== h.destination) continue;
            const headers: Headers = { subscription: s.id, 'message-id': String(++this.messageIds), destination: s.destination };
            if (h['content-type'] !== undefined) headers['content-type'] = h['content-type'];
            headers['content-length'] = String(body.length);
            s.deliver(frame('MESSAGE', headers, body));
          }
          receipt(h);
          break;
        }
        case 'DISCONNECT':
          receipt(h);
          break;
        default:
          deliver(frame('ERROR', { message: `unknown command ${command}` }));
      }
    };
    return {
      receive: (data) => {
        buffered = Buffer.concat([buffered, typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
        for (;;) {
          let i = 0;
          while (buffered[i] === 0x0a || (buffered[i] === 0x0d && buffered[i + 1] === 0x0a)) i += buffered[i] === 0x0a ? 1 : 2;
          buffered = buffered.subarray(i);
          const headEnd = buffered.indexOf('\n\n');
          if (headEnd < 0) return;
          const [command, ...lines] = buffered.subarray(0, headEnd).toString('utf8').split('\n');
          const h: Headers = {};
          for (const l of lines) {
            const colon = l.indexOf(':');
            const name = l.slice(0, colon);
            if (!(name in h)) h[name] = l.slice(colon + 1).replace(/\\c/g, ':').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
          }
          const bodyStart = headEnd + 2;
          const nul = h['content-length'] !== undefined ? bodyStart + Number(h['content-length']) : buffered.indexOf(0, bodyStart);
          if (nul < 0 || nul >= buffered.length) return;
          const body = buffered.subarray(bodyStart, nul);
          buffered = buffered.subarray(nul + 1);
          handle(command!, h, body);
        }
      },
      close: () => {
        for (const s of mine) this.subscriptions.delete(s);
      },
    };
  }
}
