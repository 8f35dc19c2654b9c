/**
 * `npm run soak`: the memory target over a long run. Streams SOAK_MESSAGES messages (default
 * 5,000,000, so 10,000,000 through the proxy counting the echoes) of the `msg64` shape through
 * wspeek with default settings and `--save`, headless and then with its UI in tmux; samples the
 * proxy's resident memory every 250 ms, then checks that the saved log holds every message and
 * every frame, both ways.
 *
 *   SOAK_MESSAGES=N      messages the client sends (each is echoed)
 *   SOAK_PATHS=a,b       wspeek --save (`headless`) and/or with its UI (`ui`); default both
 *
 * Everything listens on 127.0.0.1 only. Results: lines on stdout and bench/results/soak.json.
 * The logs (about 400 bytes per message) go to the temporary directory and are removed.
 */
import './peer-environment.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEXT64, streamMessages } from './load.js';
import { countLog, type LogCounts } from './log-counts.js';
import { fmtMB, TARGETS } from './report.js';
import {
  cpuSeconds, currentRss, haveTmux, killEverything, peakRss, ROOT, snapshotWspeek, startEchoServer, startWspeekHeadless, startWspeekUi,
  stopEverythingOnExit, stopTmuxServer, type Running,
} from './processes.js';

const MESSAGES = Number(process.env.SOAK_MESSAGES) || 5_000_000;
const PATHS = (process.env.SOAK_PATHS ?? 'headless,ui').split(',').map((s) => s.trim()).filter(Boolean);
const SAMPLE_MS = 250;
const WINDOW = 256;
const RESULTS = path.join(ROOT, 'bench', 'results', 'soak.json');
/** A kept session log not yet counted and removed. */
let logInHand: string | null = null;

interface SoakResult {
  path: string;
  messagesSent: number;
  messagesThrough: number;
  seconds: number;
  messagesPerSec: number;
  cpuUsPerMessage: number | null;
  peakRssBytes: number | null;
  /** Resident memory after each tenth of the run, in bytes: flat when nothing accumulates. */
  rssByTenth: number[];
  log: LogCounts;
  complete: boolean;
}

async function soak(name: string, echoPort: number): Promise<SoakResult> {
  const proxy: Running = name === 'ui' ? await startWspeekUi(echoPort) : await startWspeekHeadless(echoPort);
  const save = proxy.save!;
  logInHand = save;
  const rssByTenth: number[] = [];
  let nextTenth = MESSAGES / 10;
  let peakSampled = 0;
  const sampler = setInterval(() => {
    peakSampled = Math.max(peakSampled, currentRss(proxy.pid) ?? 0);
  }, SAMPLE_MS);
  const cpu0 = cpuSeconds(proxy.pid);
  let result: { messages: number; seconds: number };
  let peak: number | null;
  let cpu1: number | null;
  try {
    result = await streamMessages(`ws://127.0.0.1:${proxy.port}/`, MESSAGES, { window: WINDOW, payload: TEXT64, binary: false, deflate: false }, (echoed) => {
      if (echoed < nextTenth) return;
      nextTenth += MESSAGES / 10;
      const now = currentRss(proxy.pid) ?? 0;
      rssByTenth.push(now);
      process.stdout.write(`  ${name}: ${echoed.toLocaleString('en-US')} echoed, RSS ${fmtMB(now)}\n`);
    });
    peak = peakRss(proxy.pid);
    cpu1 = cpuSeconds(proxy.pid);
  } finally {
    clearInterval(sampler);
    await proxy.stop(true);
  }
  try {
    const log = await countLog(save);
    const through = 2 * result.messages;
    return {
      path: name, messagesSent: MESSAGES, messagesThrough: through, seconds: result.seconds, messagesPerSec: result.messages / result.seconds,
      cpuUsPerMessage: cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) * 1e6) / through : null,
      peakRssBytes: Math.max(peak ?? 0, peakSampled) || null, rssByTenth, log,
      complete: log.textMessages === through && log.textFrames === through && log.endsWithNewline,
    };
  } finally {
    fs.rmSync(save, { force: true });
    logInHand = null;
  }
}

function describe(r: SoakResult): string {
  const label = r.path === 'ui' ? 'wspeek UI' : 'wspeek --save';
  const peak = r.peakRssBytes === null ? '?' : `${fmtMB(r.peakRssBytes)} ${r.peakRssBytes <= TARGETS.peakRssBytes ? '✓' : '✗'}`;
  return [
    `${label}: ${r.messagesThrough.toLocaleString('en-US')} messages through (${r.messagesSent.toLocaleString('en-US')} each way) in ${r.seconds.toFixed(0)} s,`,
    `${Math.round(r.messagesPerSec).toLocaleString('en-US')} echoes/s, proxy CPU ${r.cpuUsPerMessage?.toFixed(1) ?? '?'} µs per message;`,
    `peak RSS ${peak} (target ≤ ${fmtMB(TARGETS.peakRssBytes)}); RSS at each tenth: ${r.rssByTenth.map((b) => (b / 1e6).toFixed(0)).join(' ')} MB;`,
    `log ${(r.log.bytes / 1e9).toFixed(2)} GB, ${r.log.lines.toLocaleString('en-US')} lines, ${r.log.textMessages.toLocaleString('en-US')} text message and ${r.log.textFrames.toLocaleString('en-US')} text frame records:`,
    r.complete ? 'every message and frame is in it ✓' : 'messages or frames are MISSING ✗',
  ].join(' ');
}

async function main(): Promise<void> {
  for (const p of PATHS) if (p !== 'headless' && p !== 'ui') throw new Error(`SOAK_PATHS: unknown path ${p} (headless, ui)`);
  const paths = PATHS.filter((p) => p !== 'ui' || haveTmux());
  if (paths.length < PATHS.length) process.stdout.write('tmux is not installed: the UI path is skipped\n');
  snapshotWspeek();
  const echo = await startEchoServer();
  const results: SoakResult[] = [];
  try {
    for (const p of paths) {
      process.stdout.write(`soak: ${MESSAGES.toLocaleString('en-US')} messages of 64 bytes each way through ${p === 'ui' ? 'wspeek with its UI' : 'wspeek --save'}\n`);
      results.push(await soak(p, echo.port));
      process.stdout.write(`${describe(results.at(-1)!)}\n`);
    }
  } finally {
    await echo.stop();
    stopTmuxServer();
  }
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, results }, null, 2)}\n`);
  process.stdout.write(`results: ${path.relative(ROOT, RESULTS)}\n`);
  if (results.some((r) => !r.complete)) process.exitCode = 1;
}

// A log kept for counting goes too if the soak is cut short.
const bail = stopEverythingOnExit('soak', () => {
  if (logInHand) fs.rmSync(logInHand, { force: true });
});

// Bounded: at least 2,000 echoes a second (a tenth of the slowest rate seen), plus start-up and counting.
const budgetMs = PATHS.length * (MESSAGES / 2000) * 1000 + 5 * 60_000;
const watchdog = setTimeout(() => bail(1, `still running after ${(budgetMs / 60_000).toFixed(0)} minutes`), budgetMs);

main()
  .catch((err: unknown) => {
    process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    clearTimeout(watchdog);
    killEverything();
    stopTmuxServer();
  });
