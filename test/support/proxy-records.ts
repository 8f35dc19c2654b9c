// The proxy under test, started in-process, and the records it emits.

import { RecordLineEncoder } from '../../core/log/record-line.js';
import { type LogRecord } from '../../core/log/records.js';
import { parseLogLine } from '../../core/log/parse-line.js';
import { startProxy, type RunningProxy } from '../../proxy/proxy-server.js';
import { HOST } from './raw-peers.js';
import { sleep, STEP_MS } from './wait.js';

const encoder = new RecordLineEncoder();

/** Collects the proxy's records and waits (bounded) for ones matching a predicate. */
export class Records {
  readonly all: LogRecord[] = [];
  readonly emit = (r: LogRecord): void => {
    // Through the session log's line, as --save writes it and `wspeek open` reads it back.
    const parsed = parseLogLine(encoder.line(r));
    if (parsed.kind !== 'record') throw new Error(`the proxy emitted a record its log can't read back: ${JSON.stringify(parsed)}`);
    this.all.push(parsed.record);
  };

  /** The records of connection `conn`. */
  of(conn: number): LogRecord[] {
    return this.all.filter((r) => r.type !== 'session' && r.conn === conn);
  }

  /** The connection number the proxy gave the TCP connection from `client` (host:port). */
  async connOf(client: string): Promise<number> {
    const r = await this.waitFor(`connect record for ${client}`, (x): x is LogRecord & { type: 'connect' } => x.type === 'connect' && x.client === client);
    return r.conn;
  }

  /** The first record matching `pred`, waiting up to `ms` for it. */
  async waitFor<T extends LogRecord>(what: string, pred: (r: LogRecord) => r is T, ms = STEP_MS): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.all.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; records: ${this.all.map((r) => `${r.type}${'conn' in r ? `#${r.conn}` : ''}`).join(' ')}`);
      await sleep(5);
    }
  }
}

/** A predicate for records of type `type` (of connection `conn`, when given). */
export const isType = <K extends LogRecord['type']>(type: K, conn?: number) =>
  (r: LogRecord): r is Extract<LogRecord, { type: K }> => r.type === type && (conn === undefined || (r as { conn: number }).conn === conn);

/** Starts the proxy in reverse mode on 127.0.0.1 in front of `ws://127.0.0.1:upstreamPort`, emitting into `records`. */
export async function reverseProxy(records: Records, upstreamPort: number, maxPayload = 1024 * 1024): Promise<RunningProxy> {
  return startProxy({
    host: HOST, port: 0, target: new URL(`ws://${HOST}:${upstreamPort}`), maxPayload,
    ca: null, insecure: false, emit: records.emit,
  });
}
