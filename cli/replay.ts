import os from 'node:os';
import path from 'node:path';
import { recordPayload, recordPayloadPrefix, sessionRecord, type LogRecord, type MessageRecord } from '../core/log/records.js';
import { compareReplay, type ReplayComparison } from '../core/replay/compare-replay.js';
import { planReplay, replayableConnections, replayUrl, type ReplayPlan } from '../core/replay/replay-plan.js';
import { now } from '../proxy/clock.js';
import { SessionLogWriter } from '../proxy/log/session-log.js';
import { preview } from '../tui/sanitize.js';
import { parseTarget } from './arguments.js';
import { openRecording, problemLines, UsageError } from './commands.js';

export interface ReplayArgs {
  file: string;
  /** --conn: the recording's connection numbers; empty: every WebSocket connection. */
  conn: number[];
  /** --target as typed. */
  target: string | undefined;
  /** --speed: `1`, `2` (any positive factor) or `max`. */
  speed: string;
  save: string | undefined;
  json: boolean;
  parallel: boolean;
}

/** Exit codes of `wspeek replay`. */
export const REPLAY_EXIT = { same: 0, differed: 1, usage: 2, failed: 3 } as const;

/** How one connection's replay ended, for the summary and `--json`. */
type ConnectionResult =
  | { conn: number; url: string; result: 'failed'; error: string }
  | ({ conn: number; url: string; result: 'same' | 'differed' } & ReplayComparison);

/**
 * `wspeek replay FILE`: each chosen recorded connection again, against its recorded URL or
 * `--target`, compared with the recording; returns the exit code (0 same, 1 differed, 3 a
 * connection or handshake failed). Usage errors (an unreadable file, an unknown connection, an
 * existing `--save` file) throw UsageError before anything connects.
 */
export async function runReplay(args: ReplayArgs): Promise<number> {
  const speed = parseSpeed(args.speed);
  let target: URL | null = null;
  try {
    target = args.target === undefined ? null : parseTarget(args.target);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const targetHasPath = args.target !== undefined && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*[/?#]/i.test(args.target);
  const records = await readRecording(args.file);
  const plans = choosePlans(records, args.conn, args.file);
  let writer: SessionLogWriter | null = null;
  if (args.save !== undefined) {
    try {
      writer = SessionLogWriter.create(args.save, (err) => process.stderr.write(`wspeek: ${err.message}\n`));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    writer.write(sessionRecord(now(), 'replay', null, target?.href ?? null, path.basename(args.file)));
    closeLogOnSignal(writer);
  }
  // Loaded here and only here: no other command needs the ws client.
  const { replayConnection } = await import('../proxy/replay-client.js');
  const replayOne = async (plan: ReplayPlan): Promise<ConnectionResult> => {
    const url = replayUrl(plan.url, target, targetHasPath);
    if (plan.droppedExtensions.length) process.stderr.write(`wspeek: conn ${plan.conn}: not offered again (wspeek's client speaks only permessage-deflate): ${plan.droppedExtensions.join(', ')}\n`);
    const outcome = await replayConnection({ plan, url, speed, onRecord: (r) => writer?.write(r) });
    if (!outcome.ok) return { conn: plan.conn, url, result: 'failed', error: outcome.error };
    const comparison = compareReplay(plan.serverMessages, outcome.serverMessages);
    return { conn: plan.conn, url, result: comparison.same ? 'same' : 'differed', ...comparison };
  };
  const results: ConnectionResult[] = [];
  if (args.parallel) results.push(...(await Promise.all(plans.map(replayOne))));
  else for (const plan of plans) results.push(await replayOne(plan));
  writer?.closeSync();
  const exit = results.some((r) => r.result === 'failed') ? REPLAY_EXIT.failed : results.some((r) => r.result === 'differed') ? REPLAY_EXIT.differed : REPLAY_EXIT.same;
  if (args.json) process.stdout.write(`${JSON.stringify({ file: args.file, exit, connections: results.map(jsonResult) })}\n`);
  else process.stdout.write(results.map(summary).join(''));
  return exit;
}

/** SIGINT, SIGTERM or SIGHUP during a replay: the new session log closes whole, with what was recorded so far. */
function closeLogOnSignal(writer: SessionLogWriter): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      writer.closeSync();
      process.stderr.write(`wspeek: ${signal}: replay stopped; ${writer.path} holds what was recorded until now\n`);
      process.exit(128 + os.constants.signals[signal]);
    });
  }
}

/** --speed: a positive factor on the recorded timing, or `max`. */
function parseSpeed(value: string): number | 'max' {
  if (value === 'max') return 'max';
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--speed wants 1, 2 (any positive factor) or max; got ${JSON.stringify(value)}`);
  return n;
}

async function readRecording(file: string): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  const log = await openRecording(file);
  try {
    const read = await log.read((r) => records.push(r));
    for (const line of problemLines(file, read)) process.stderr.write(`wspeek: ${line}\n`);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return records;
}

/** The plans for --conn's connections (every replayable one without it); a usage error for one that can't be replayed. */
function choosePlans(records: LogRecord[], wanted: number[], file: string): ReplayPlan[] {
  const replayable = replayableConnections(records);
  if (replayable.length === 0) throw new UsageError(`${file} has no WebSocket connection to replay`);
  const conns = wanted.length ? wanted : replayable;
  return conns.map((conn) => {
    if (!replayable.includes(conn)) throw new UsageError(`--conn ${conn}: no WebSocket connection ${conn} in ${file}; it has ${replayable.join(', ')}`);
    const planned = planReplay(records, conn);
    if (!planned.ok) throw new UsageError(planned.error);
    return planned.plan;
  });
}

/** A connection's lines of the human summary. */
function summary(r: ConnectionResult): string {
  const head = `conn ${r.conn} ${preview(r.url, 200)}`;
  if (r.result === 'failed') return `${head}: failed: ${preview(r.error, 300)}\n`;
  const counts = `${r.replayedMessages} server messages (recorded ${r.recordedMessages}), close ${r.replayedClose ?? 'none'} (recorded ${r.recordedClose ?? 'none'})`;
  if (r.result === 'same') return `${head}: same: ${counts}\n`;
  const lines = [`${head}: differed: ${counts}`];
  const d = r.difference;
  if (d) {
    lines.push(`  first difference: server message ${d.index} (${d.what})`);
    lines.push(`    recorded: ${describe(d.recorded)}`);
    lines.push(`    replayed: ${describe(d.replayed)}`);
  }
  if (r.recordedClose !== r.replayedClose) lines.push(`  close code: recorded ${r.recordedClose ?? 'none'}, replayed ${r.replayedClose ?? 'none'}`);
  return `${lines.join('\n')}\n`;
}

/** A message for the summary, terminal-safe: text quoted, binary in hex, both shortened. */
function describe(m: MessageRecord | null): string {
  if (!m) return '(none)';
  const shown = m.text !== undefined ? JSON.stringify(m.text) : recordPayloadPrefix(m, 64).toString('hex') + (m.length > 64 ? '…' : '');
  return `${m.kind} ${m.length} bytes ${preview(shown, 200)}`;
}

/** A connection's result for --json: messages as kind, length and text or base64. */
function jsonResult(r: ConnectionResult): object {
  if (r.result === 'failed' || !r.difference) return r;
  const d = r.difference;
  return { ...r, difference: { ...d, recorded: jsonMessage(d.recorded), replayed: jsonMessage(d.replayed) } };
}

function jsonMessage(m: MessageRecord | null): object | null {
  if (!m) return null;
  return m.text !== undefined
    ? { seq: m.seq, kind: m.kind, length: m.length, text: m.text }
    : { seq: m.seq, kind: m.kind, length: m.length, base64: recordPayload(m).toString('base64') };
}
