/**
 * `npm run bench`: end-to-end WebSocket throughput and latency, direct vs through a plain TCP
 * relay vs through mitmproxy's mitmdump (the best peer, where installed) vs through wspeek
 * (headless with --save, the same with its human lines read from a pipe, the same with
 * --protocol raw, acting on the traffic, and with its terminal UI in tmux), interleaved in rounds
 * so ratios hold on a noisy machine; then the in-process decoder benchmark.
 *
 * Workloads: msg64, bin1m, rtt, conn200 and deflate64 between `ws` peers (bench/echo-server.ts);
 * sio64, 64-byte Socket.IO events between real socket.io peers (bench/sio-echo-server.ts, WebSocket
 * transport only). Each echo server is one process for the whole run; every path goes to the one
 * its workload needs. "decoding vs raw" is wspeek --save against wspeek --protocol raw (the
 * application-protocol layer reading nothing), paired per round: its median and range. "lines vs
 * --save" is wspeek --save with its stdout a pipe the bench reads (the human lines of --no-tui, as
 * on a terminal) against wspeek --save with stdout /dev/null: paired per round, CPU per message, and
 * bytes of text per message. mitmdump runs `--mode reverse:http://…` (WebSocket upgrades carried
 * through); a workload that fails through it is left out for it, with a note.
 *
 *   BENCH_QUICK=1        one round, ~1 s per workload (smoke run)
 *   BENCH_ROUNDS=N       rounds (default 5)
 *   BENCH_WORKLOADS=a,b  only these workloads (msg64, bin1m, rtt, conn200, deflate64, sio64)
 *   BENCH_NO_CORE=1      skip the in-process decoder benchmark
 *   BENCH_BASELINE=DIR   also run another built checkout's wspeek (DIR/dist/cli/main.js) headless with --save,
 *                        in the same rounds, and compare --save with it per round: an A/B of a change
 *   BENCH_ACTING=0       leave out the acting paths (wspeek --intercept, wspeek --script)
 *   BENCH_RAW=0          leave out the raw path (wspeek --save --protocol raw) and "decoding vs raw"
 *   BENCH_LINES=0        leave out the lines path (wspeek --save, stdout read from a pipe) and "lines vs --save"
 *   BENCH_MITMPROXY=0    leave out mitmdump (it is left out anyway where not installed)
 *   BENCH_PROFILE=W      instead: profile wspeek --no-tui --save (node --cpu-prof) during workload W,
 *                        or the decoder in-process with W = core-small, core-large, core-overCap, core-inflate;
 *                        top self-time functions on stdout and in bench/results/profile-W.txt;
 *                        with BENCH_PROFILE_UI=1, wspeek with its UI in tmux instead (profile-W-ui.txt);
 *                        with BENCH_PROFILE_PATH=intercept or script, that acting path instead (profile-W-intercept.txt)
 *
 * Everything listens on 127.0.0.1 only. Results: a table on stdout (plain and Markdown) and
 * bench/results/latest.json.
 */
import './peer-environment.js';
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { useNativeMask } from '../core/websocket/unmask.js';
import { loadNativeMask } from '../proxy/native-mask.js';
import { CORE_SCENARIOS, runCoreBench, runCoreScenario, type CoreScenarioName, type CoreScenarioResult } from './core-decode.js';
import { pipelined, roundTrips, SIO64_ARG, sioPipelined, TEXT64, type Hooks, type Timing, type WorkloadResult } from './load.js';
import {
  actingArgs, CLI, cpuSeconds, forcedKills, haveTmux, killEverything, mitmdumpVersion, peakRss, RAW_ARGS, ROOT, scrubPaths, sleep, snapshotWspeek,
  startEchoServer, startMitmdump, startRelay, startSioEchoServer, startWspeekHeadless, startWspeekUi, stopEverythingOnExit, stopTmuxServer,
  systemCpuSeconds, type Running,
} from './processes.js';
import { formatProfile, summarizeProfile } from './profile.js';
import {
  coreLine, detailRows, formatMarkdown, formatPlain, machineLine, PATH_LABELS, summarize, tableRows, targetLines, writeJson,
  type Machine, type PathName, type RunConfig, type Sample, type WorkloadName,
} from './report.js';

const QUICK = process.env.BENCH_QUICK === '1';
const UI_PROFILE = process.env.BENCH_PROFILE_UI === '1';
const ACTING_PATHS: PathName[] = process.env.BENCH_ACTING === '0' ? [] : ['intercept', 'script'];
/** BENCH_RAW=0 leaves out wspeek --protocol raw, and with it "decoding vs raw". */
const RAW_PATHS: PathName[] = process.env.BENCH_RAW === '0' ? [] : ['raw'];
/** BENCH_LINES=0 leaves out wspeek --save with its stdout read from a pipe, and with it "lines vs --save". */
const LINES_PATHS: PathName[] = process.env.BENCH_LINES === '0' ? [] : ['lines'];
/** BENCH_MITMPROXY=0 leaves out mitmdump even where it is installed. */
const WANT_MITMPROXY = process.env.BENCH_MITMPROXY !== '0';
/** BENCH_UI=0 leaves out the UI path (and with it "UI vs --save"). */
const WANT_UI = process.env.BENCH_UI !== '0';
/** BENCH_PROFILE_PATH: profile an acting path instead of wspeek --save. */
const PROFILE_PATH = process.env.BENCH_PROFILE_PATH;
const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 1 : 5);
/** BENCH_BASELINE: another checkout's built CLI, run as a path of its own. */
const BASELINE_CLI = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE, 'dist', 'cli', 'main.js') : null;
const TIMING: Timing = QUICK ? { warmupMs: 250, measureMs: 750 } : { warmupMs: 500, measureMs: 2000 };
const CORE = QUICK ? { warmupMs: 200, measureMs: 400 } : { warmupMs: 500, measureMs: 1000 };
/** A segment during which other processes used more than this (in cores) is run again, up to MAX_ATTEMPTS in all. */
const RERUN_ABOVE = 0.5;
const MAX_ATTEMPTS = 2;
/** A segment (start the proxy, run one workload, stop it) that takes longer than this failed. */
const SEGMENT_TIMEOUT_MS = TIMING.warmupMs + TIMING.measureMs + 45_000;
const RESULTS = path.join(ROOT, 'bench', 'results', 'latest.json');

const BIN1M = randomFillSync(Buffer.allocUnsafe(1024 * 1024));
/** The in-process decoder unmasks as the CLI does: with bufferutil where it loads. Reported with the results. */
const nativeMask = loadNativeMask();
useNativeMask(nativeMask);
const UNMASK_IMPLEMENTATION = nativeMask ? 'bufferutil' : 'javascript';

/** The echo server a workload's traffic goes to: `ws`'s, or a Socket.IO server's. */
type Upstream = 'ws' | 'socket.io';

const START_UPSTREAM: Record<Upstream, () => Promise<Running>> = { ws: startEchoServer, 'socket.io': startSioEchoServer };

interface Workload {
  name: WorkloadName;
  upstream: Upstream;
  run(url: string, hooks: Hooks): Promise<WorkloadResult>;
}

const ALL_WORKLOADS: Workload[] = [
  { name: 'msg64', upstream: 'ws', run: (url, h) => pipelined(url, { connections: 1, window: 256, payload: TEXT64, binary: false, deflate: false }, TIMING, h) },
  { name: 'bin1m', upstream: 'ws', run: (url, h) => pipelined(url, { connections: 1, window: 4, payload: BIN1M, binary: true, deflate: false }, TIMING, h) },
  { name: 'rtt', upstream: 'ws', run: (url, h) => roundTrips(url, TEXT64, TIMING, h) },
  { name: 'conn200', upstream: 'ws', run: (url, h) => pipelined(url, { connections: 200, window: 16, payload: TEXT64, binary: false, deflate: false }, TIMING, h) },
  { name: 'deflate64', upstream: 'ws', run: (url, h) => pipelined(url, { connections: 1, window: 256, payload: TEXT64, binary: false, deflate: true }, TIMING, h) },
  { name: 'sio64', upstream: 'socket.io', run: (url, h) => sioPipelined(url, { window: 256, arg: SIO64_ARG }, TIMING, h) },
];

function selectedWorkloads(): Workload[] {
  const only = process.env.BENCH_WORKLOADS?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!only?.length) return ALL_WORKLOADS;
  const unknown = only.filter((n) => !ALL_WORKLOADS.some((w) => w.name === n));
  if (unknown.length) throw new Error(`unknown workload(s): ${unknown.join(', ')}`);
  return ALL_WORKLOADS.filter((w) => only.includes(w.name));
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The commit measured, and whether the working tree (outside bench/) differed from it. */
function codeVersion(): string {
  try {
    const opts = { cwd: ROOT, encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench', ':!package.json'], opts).trim();
    return dirty ? `${head} + uncommitted changes (${dirty.split('\n').length} files)` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function machine(start: number[]): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return { cpu, code: codeVersion(), cores: os.cpus().length, node: process.version, unmask: UNMASK_IMPLEMENTATION, date: new Date().toISOString(), loadAvgStart: start, loadAvgEnd: os.loadavg() };
}

async function startPath(p: PathName, echoPort: number): Promise<Running | null> {
  switch (p) {
    case 'direct': return null;
    case 'relay': return startRelay(echoPort);
    case 'mitmproxy': return startMitmdump(echoPort);
    case 'save': return startWspeekHeadless(echoPort);
    case 'lines': return startWspeekHeadless(echoPort, [], CLI, [], true);
    case 'raw': return startWspeekHeadless(echoPort, [], CLI, RAW_ARGS);
    case 'baseline': return startWspeekHeadless(echoPort, [], BASELINE_CLI!);
    case 'intercept':
    case 'script': return startWspeekHeadless(echoPort, [], CLI, actingArgs(p));
    case 'ui': return startWspeekUi(echoPort);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms))),
  ]);
}

/** The echo servers the workloads go to, each started once; stops those already started if one fails to start. */
async function startUpstreams(workloads: Workload[]): Promise<Map<Upstream, Running>> {
  const running = new Map<Upstream, Running>();
  try {
    for (const u of new Set(workloads.map((w) => w.upstream))) running.set(u, await START_UPSTREAM[u]());
    return running;
  } catch (err) {
    await stopUpstreams(running);
    throw err;
  }
}

async function stopUpstreams(running: Map<Upstream, Running>): Promise<void> {
  await Promise.all([...running.values()].map((r) => r.stop()));
}

/** One workload on one path: start the proxy, run, read its peak RSS, stop it. */
async function runSegment(round: number, order: number, w: Workload, p: PathName, echo: Running): Promise<Sample> {
  const sample: Sample = { round, workload: w.name, path: p, order, attempts: 1, result: null, error: null, cpu: { proxy: null, terminal: null, echo: null, load: null, others: null, steal: null }, peakRssBytes: null, stdoutBytes: null };
  let proxy: Running | null = null;
  try {
    proxy = await withTimeout(startPath(p, echo.port), 20_000, `starting ${p}`);
    const url = `ws://127.0.0.1:${proxy ? proxy.port : echo.port}/`;
    let t0 = 0;
    let stdoutAtStart = 0;
    let start: {
      proxy: number | null; terminal: number | null; echo: number | null; load: NodeJS.CpuUsage;
      system: { busy: number; steal: number } | null;
    } | null = null;
    const terminalCpu = () => {
      if (!proxy?.extraPids.length) return null;
      let sum = 0;
      for (const pid of proxy.extraPids) {
        const c = cpuSeconds(pid);
        if (c === null) return null;
        sum += c;
      }
      return sum;
    };
    const hooks: Hooks = {
      onStart() {
        t0 = performance.now();
        stdoutAtStart = proxy?.stdoutBytes?.() ?? 0;
        start = { proxy: proxy ? cpuSeconds(proxy.pid) : null, terminal: terminalCpu(), echo: cpuSeconds(echo.pid), load: process.cpuUsage(), system: systemCpuSeconds() };
      },
      onEnd() {
        const seconds = (performance.now() - t0) / 1000;
        if (proxy?.stdoutBytes) sample.stdoutBytes = proxy.stdoutBytes() - stdoutAtStart;
        if (!start || seconds <= 0) return;
        const rate = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / seconds);
        const load = process.cpuUsage(start.load);
        const system = systemCpuSeconds();
        const cpu = {
          proxy: rate(start.proxy, proxy ? cpuSeconds(proxy.pid) : null),
          terminal: rate(start.terminal, terminalCpu()),
          echo: rate(start.echo, cpuSeconds(echo.pid)),
          load: (load.user + load.system) / 1e6 / seconds,
        };
        const ours = (cpu.proxy ?? 0) + (cpu.terminal ?? 0) + (cpu.echo ?? 0) + cpu.load;
        const busy = rate(start.system?.busy ?? null, system?.busy ?? null);
        // Everything else the machine did meanwhile: other processes (and the kernel's own work).
        sample.cpu = {
          ...cpu,
          others: busy === null ? null : Math.max(0, busy - ours),
          steal: rate(start.system?.steal ?? null, system?.steal ?? null),
        };
      },
    };
    sample.result = await withTimeout(w.run(url, hooks), SEGMENT_TIMEOUT_MS, `${w.name} on ${p}`);
    if (proxy) sample.peakRssBytes = peakRss(proxy.pid);
  } catch (err) {
    sample.error = scrubPaths((err as Error).message);
    if (proxy) sample.peakRssBytes = peakRss(proxy.pid);
  } finally {
    await proxy?.stop();
  }
  return sample;
}

function describeSample(s: Sample): string {
  const head = `round ${s.round + 1} ${s.workload.padEnd(9)} ${PATH_LABELS[s.path].padEnd(13)}`;
  if (!s.result) return `${head} FAILED: ${s.error?.split('\n').slice(0, 4).join(' | ')}`;
  const r = s.result;
  const value = r.kind === 'latency'
    ? `p50 ${r.p50Us.toFixed(0)} µs, p99 ${r.p99Us.toFixed(0)} µs (${r.samples} round trips)`
    : s.workload === 'bin1m' ? `${(r.bytesPerSec / 1e6).toFixed(0)} MB/s` : `${Math.round(r.messagesPerSec).toLocaleString('en-US')} msgs/s`;
  const cpu = (label: string, x: number | null | undefined) => (x == null ? '' : ` ${label} ${(x * 100).toFixed(0)}%`);
  const rss = s.peakRssBytes === null ? '' : `, peak RSS ${(s.peakRssBytes / 1e6).toFixed(0)} MB`;
  return `${head} ${value}; CPU${cpu('proxy', s.cpu.proxy)}${cpu('tmux', s.cpu.terminal)}${cpu('echo', s.cpu.echo)}${cpu('load', s.cpu.load)}${cpu('others', s.cpu.others)}${rss}`;
}

async function benchmark(): Promise<void> {
  const t0 = performance.now();
  const loadStart = os.loadavg();
  const workloads = selectedWorkloads();
  const tmux = haveTmux();
  const mitmdump = WANT_MITMPROXY ? mitmdumpVersion() : null;
  const paths: PathName[] = ['direct', 'relay', ...(mitmdump ? ['mitmproxy' as const] : []), 'save', ...LINES_PATHS, ...RAW_PATHS, ...(BASELINE_CLI ? ['baseline' as const] : []), ...ACTING_PATHS, ...(tmux && WANT_UI ? ['ui' as const] : [])];
  const skipped = tmux ? [] : ['wspeek UI: tmux is not installed'];
  if (WANT_MITMPROXY && !mitmdump) skipped.push('mitmdump: mitmproxy is not installed (apt-get install mitmproxy)');
  const notes = [
    'wspeek runs as `node dist/cli/main.js --target ws://127.0.0.1:<echo> --listen 127.0.0.1:0 [--no-tui] --save <tmp file>`; headless stdout goes to /dev/null (stdio "ignore"), except on wspeek lines',
    'wspeek --protocol raw runs as wspeek --save does, plus `--protocol raw` (no application protocol read on any connection); "decoding vs raw" is the median of per-round ratios (or p50 differences) of wspeek --save to it, and their range',
    `wspeek --intercept and wspeek --script run as wspeek --save does, plus \`--script hooks.mjs\` (its onMessage returns undefined) and, for --intercept, \`--intercept 'payload:"never-in-the-workload"'\` (the hook is never called); "acting vs --save" is the median of per-round ratios (or p50 differences) to wspeek --save`,
    'wspeek lines runs as wspeek --save does, but with stdout a pipe the bench reads and discards (the human lines of --no-tui, as on a terminal); "lines vs --save" is the median of per-round ratios (or p50 differences) to wspeek --save and their range, its CPU per message over --save\'s, and the bytes of lines per echoed message',
    'wspeek UI runs in a detached tmux pane, 200×50 (its own tmux server); tmux\'s CPU is reported separately',
    'sio64 goes to a socket.io echo server (event `m` sent back; WebSocket transport only), its load is socket.io-client; the other workloads go to a ws echo server',
    'echo servers, relay and wspeek are child processes; the load generator (ws and socket.io-client clients) is the bench process itself',
    `rounds interleave the paths in rotating order; values are medians over rounds; ratios (×) and added latency are medians of per-round paired comparisons with direct`,
    'MB = 10^6 bytes; CPU is in % of one core during measurement',
  ];
  if (!fs.existsSync(CLI)) throw new Error('dist/cli/main.js is missing: build first (npm run bench builds)');
  if (BASELINE_CLI) {
    if (!fs.existsSync(BASELINE_CLI)) throw new Error(`BENCH_BASELINE: ${BASELINE_CLI} is missing: build that checkout first`);
    notes.push('baseline --save is BENCH_BASELINE\'s wspeek, run exactly as wspeek --save; "--save vs baseline" is the median of per-round ratios (or p50 differences)');
  }
  if (mitmdump) notes.push(`mitmdump (${mitmdump}) runs as \`mitmdump --mode reverse:http://127.0.0.1:<echo> --listen-host 127.0.0.1 --listen-port <free port> -q --set flow_detail=0 --set termlog_verbosity=error\` (WebSocket upgrades carried through, no flows saved); a workload that fails through it is left out for it from then on`);
  notes.push(`wspeek runs from a copy of dist/ taken at start (${snapshotWspeek()}, removed at the end), so a rebuild during the run can't change it`);
  const perWorkload = (TIMING.warmupMs + TIMING.measureMs) / 1000;
  log(`wspeek bench: ${ROUNDS} round(s) × ${workloads.length} workloads × ${paths.length} paths, ${perWorkload} s each (${TIMING.warmupMs} ms warm-up)${QUICK ? ' [BENCH_QUICK]' : ''}`);
  if (skipped.length) log(`skipped: ${skipped.join('; ')}`);
  for (const n of notes) log(`note: ${n}`);

  const samples: Sample[] = [];
  let retries = 0;
  /** Workloads mitmdump failed on: left out for it from then on, with a note rather than an error. */
  const mitmproxyFailed = new Set<WorkloadName>();
  const upstreams = await startUpstreams(workloads);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [wi, w] of workloads.entries()) {
        const shift = (round + wi) % paths.length;
        const order = [...paths.slice(shift), ...paths.slice(0, shift)];
        for (const [i, p] of order.entries()) {
          if (p === 'mitmproxy' && mitmproxyFailed.has(w.name)) continue;
          // A measurement during which other processes took a big share of the CPU is taken again
          // (right away, so the round's paths stay close in time), at most MAX_ATTEMPTS times in all.
          for (let attempt = 1; ; attempt++) {
            const s = await runSegment(round, i, w, p, upstreams.get(w.upstream)!);
            s.attempts = attempt;
            if (p === 'mitmproxy' && !s.result) {
              mitmproxyFailed.add(w.name);
              const note = `mitmdump: ${w.name} left out (round ${round + 1}: ${s.error?.split('\n', 1)[0]})`;
              notes.push(note);
              log(`note: ${note}`);
              break;
            }
            const disturbed = s.cpu.others !== null && s.cpu.others > RERUN_ABOVE;
            if (!disturbed || attempt === MAX_ATTEMPTS) {
              samples.push(s);
              log(describeSample(s));
              break;
            }
            retries++;
            log(`${describeSample(s)} → other processes took ${(s.cpu.others! * 100).toFixed(0)}% of a core: again`);
          }
        }
      }
    }
  } finally {
    await stopUpstreams(upstreams);
  }

  let core: CoreScenarioResult[] = [];
  if (process.env.BENCH_NO_CORE !== '1') {
    log('core: in-process decoding (64 KiB chunks)…');
    core = await runCoreBench({ rounds: ROUNDS, ...CORE, onProgress: log });
  }

  const summary = summarize(samples, workloads.map((w) => w.name), paths, core);
  const m = machine(loadStart);
  const runtimeSec = (performance.now() - t0) / 1000;
  const config: RunConfig = { quick: QUICK, rounds: ROUNDS, warmupMs: TIMING.warmupMs, measureMs: TIMING.measureMs, paths, skipped, notes, runtimeSec };
  const rows = tableRows(summary, paths);

  log('');
  log(formatPlain(rows));
  if (core.length) log(coreLine(core));
  log(machineLine(m));
  log('');
  log('targets:');
  for (const t of targetLines(summary)) log(`  ${t}`);
  log('');
  log('details (medians over rounds):');
  log(formatPlain(detailRows(summary, paths)));
  if (forcedKills.length) {
    log('');
    log('children that had to be killed:');
    for (const k of forcedKills) log(`  ${k}`);
  }
  const others = samples.flatMap((x) => (x.cpu.others === null ? [] : [x.cpu.others]));
  const disturbed = others.filter((x) => x > 0.25).length;
  config.retries = retries;
  if (disturbed > 0 || retries > 0) {
    const warning = `other processes competed for this ${m.cores}-core machine: ${retries} measurement(s) were taken again because they used over ${RERUN_ABOVE * 100}% of a core meanwhile, and ${disturbed} of the ${samples.length} kept still shared over 25% of a core with them (max ${(Math.max(...others) * 100).toFixed(0)}%); absolute numbers are noisy (see the spread column): paired ratios and CPU per message hold better`;
    config.notes.push(`warning: ${warning}`);
    log('');
    log(`warning: ${warning}`);
  }
  const errors = summary.workloads.flatMap((w) => Object.values(w.paths).flatMap((s) => s.errors.map((e) => `${w.workload} ${PATH_LABELS[s.path]} ${e}`)));
  if (errors.length) {
    log('');
    log('errors:');
    for (const e of errors) log(`  ${e}`);
  }
  log('');
  log('Markdown (for the README):');
  log('');
  log(formatMarkdown(rows));
  log('');
  if (core.length) log(`${coreLine(core)}  `);
  log(`${machineLine(m)}; ${ROUNDS} round(s) of ${TIMING.measureMs / 1000} s per workload and path.`);
  log('');
  writeJson(RESULTS, { machine: m, config, summary, samples, forcedKills });
  log(`results: ${path.relative(process.cwd(), RESULTS) || RESULTS}; total runtime ${runtimeSec.toFixed(0)} s`);
}

/** BENCH_PROFILE=core-small (-large, -overCap, -inflate): one decoder scenario, profiled in this process. */
async function profileCore(name: string): Promise<void> {
  const scenario = name.slice('core-'.length) as CoreScenarioName;
  if (!CORE_SCENARIOS.includes(scenario)) throw new Error(`BENCH_PROFILE: unknown core scenario ${scenario} (${CORE_SCENARIOS.join(', ')})`);
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => {
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result)));
  });
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  const window = { startUs: 0, endUs: Infinity };
  await post('Profiler.start');
  const r = await runCoreScenario(scenario, 500, 3000, (phase) => {
    const us = Number(process.hrtime.bigint() / 1000n);
    if (phase === 'start') window.startUs = us;
    else window.endUs = us;
  });
  const { profile: data } = (await post('Profiler.stop')) as { profile: object };
  session.disconnect();
  log(`core ${scenario} under the profiler: ${Math.round(r.framesPerSec).toLocaleString('en-US')} frames/s, ${(r.bytesPerSec / 1e9).toFixed(2)} GB/s (the profiler slows it down)`);
  writeProfile(name, formatProfile(summarizeProfile(data, ROOT, window)));
}

function writeProfile(name: string, text: string): void {
  log(text);
  const out = path.join(ROOT, 'bench', 'results', `profile-${name}.txt`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${name}\n${text}\n`);
  log(`\nsummary in ${path.relative(process.cwd(), out)}`);
}

/** BENCH_PROFILE=W: one workload through wspeek --no-tui --save under node --cpu-prof, then its top self-time functions. */
async function profile(name: string): Promise<void> {
  if (name.startsWith('core-')) return profileCore(name);
  snapshotWspeek();
  const w = ALL_WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`BENCH_PROFILE: unknown workload ${name}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-bench-prof-'));
  const echo = await START_UPSTREAM[w.upstream]();
  let result: WorkloadResult;
  const window = { startUs: 0, endUs: Infinity };
  try {
    const profArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
    if (PROFILE_PATH !== undefined && PROFILE_PATH !== 'intercept' && PROFILE_PATH !== 'script') throw new Error(`BENCH_PROFILE_PATH: ${PROFILE_PATH} is not intercept or script`);
    const proxy = UI_PROFILE ? await startWspeekUi(echo.port, profArgs) : await startWspeekHeadless(echo.port, profArgs, CLI, PROFILE_PATH ? actingArgs(PROFILE_PATH) : []);
    try {
      // Only the measured part counts: not start-up (module loading), not the warm-up.
      const hooks: Hooks = {
        onStart: () => (window.startUs = Number(process.hrtime.bigint() / 1000n)),
        onEnd: () => (window.endUs = Number(process.hrtime.bigint() / 1000n)),
      };
      result = await withTimeout(w.run(`ws://127.0.0.1:${proxy.port}/`, hooks), SEGMENT_TIMEOUT_MS, `${name} under the profiler`);
    } finally {
      await proxy.stop(); // SIGINT (SIGHUP for the UI): wspeek exits on its own, so the profile is written
    }
  } finally {
    await echo.stop();
  }
  await sleep(200);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile was written (did wspeek exit on its signal?)');
  const r = result;
  const label = UI_PROFILE ? 'wspeek --save with its UI in tmux' : `wspeek --no-tui --save${PROFILE_PATH ? ` ${actingArgs(PROFILE_PATH).join(' ')}` : ''}`;
  log(`${name} through ${label} under --cpu-prof: ${r.kind === 'latency' ? `p50 ${r.p50Us.toFixed(0)} µs` : `${Math.round(r.messagesPerSec).toLocaleString('en-US')} msgs/s, ${(r.bytesPerSec / 1e6).toFixed(1)} MB/s`} (the profiler slows it down); profile of the ${(TIMING.measureMs / 1000).toFixed(2)} s measured, warm-up and start-up left out`);
  writeProfile(UI_PROFILE ? `${name}-ui` : PROFILE_PATH ? `${name}-${PROFILE_PATH}` : name, formatProfile(summarizeProfile(path.join(dir, file), ROOT, window)));
  log(`profile kept in ${path.join(dir, file)} (open it in Chrome DevTools)`);
}

const bail = stopEverythingOnExit('bench');

// Every segment is bounded by SEGMENT_TIMEOUT_MS already; this bounds the whole run as well.
const segments = ROUNDS * ALL_WORKLOADS.length * (5 + LINES_PATHS.length + RAW_PATHS.length + ACTING_PATHS.length + (BASELINE_CLI ? 1 : 0));
const budgetMs = Math.max(10 * 60_000, segments * (TIMING.warmupMs + TIMING.measureMs + 15_000) + 5 * 60_000);
const watchdog = setTimeout(() => bail(1, `still running after ${(budgetMs / 60_000).toFixed(0)} minutes`), budgetMs);

const target = process.env.BENCH_PROFILE;
(target ? profile(target) : benchmark())
  .then(() => {
    clearTimeout(watchdog);
    killEverything();
    stopTmuxServer();
  })
  .catch((err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    killEverything();
    stopTmuxServer();
    clearTimeout(watchdog);
    process.exitCode = 1;
  });
