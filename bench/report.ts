/**
 * Summaries, targets, and output of a bench run: the plain table for the terminal, a Markdown
 * table for the README, and the JSON results file. No measuring happens here.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CoreScenarioResult } from './core-decode.js';
import { median } from './core-decode.js';
import type { WorkloadResult } from './load.js';

export type PathName = 'direct' | 'relay' | 'mitmproxy' | 'save' | 'lines' | 'raw' | 'baseline' | 'intercept' | 'script' | 'ui';
export type WorkloadName = 'msg64' | 'bin1m' | 'rtt' | 'conn200' | 'deflate64' | 'sio64';

export const PATH_LABELS: Record<PathName, string> = {
  direct: 'direct',
  relay: 'relay',
  mitmproxy: 'mitmdump',
  save: 'wspeek --save',
  lines: 'wspeek lines',
  raw: 'wspeek --protocol raw',
  baseline: 'baseline --save',
  intercept: 'wspeek --intercept',
  script: 'wspeek --script',
  ui: 'wspeek UI',
};

/** One workload on one path in one round. */
export interface Sample {
  round: number;
  workload: WorkloadName;
  path: PathName;
  /** Position of this path in the round's rotating order for this workload. */
  order: number;
  /** Runs it took (a run disturbed by other processes is taken again). */
  attempts: number;
  result: WorkloadResult | null;
  error: string | null;
  /** CPU use during measurement, in cores (1 = one core busy): the proxy, tmux's server (UI path), the echo server, the load generator; every other process on the machine; steal time (hypervisor). */
  cpu: { proxy: number | null; terminal: number | null; echo: number | null; load: number | null; others: number | null; steal: number | null };
  /** The proxy's peak RSS (VmHWM) in bytes, read just before it was stopped. */
  peakRssBytes: number | null;
  /** Lines path: bytes the bench read from wspeek's stdout during measurement. */
  stdoutBytes: number | null;
}

export interface Machine {
  cpu: string;
  /** The code measured: commit, and whether files outside bench/ had uncommitted changes. */
  code: string;
  cores: number;
  node: string;
  /** wspeek's unmasking: `bufferutil` or `javascript` (the peers always run `ws` without bufferutil). */
  unmask: string;
  date: string;
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

export interface RunConfig {
  quick: boolean;
  rounds: number;
  warmupMs: number;
  measureMs: number;
  paths: PathName[];
  skipped: string[];
  notes: string[];
  runtimeSec: number;
  /** Measurements taken again because other processes were busy meanwhile. */
  retries?: number;
}

export interface PathSummary {
  path: PathName;
  rounds: number;
  errors: string[];
  /** Throughput workloads: median messages/s, bytes/s; their paired ratio to direct (median of per-round ratios), shown, not judged. */
  messagesPerSec: number | null;
  bytesPerSec: number | null;
  ratio: number | null;
  /** rtt: median p50/p99 and the median per-round difference to direct, shown, not judged. */
  p50Us: number | null;
  p99Us: number | null;
  addedP50Us: number | null;
  addedP99Us: number | null;
  /** UI path against --save, paired per round: throughput ratios (ui/save), or p50 differences (µs) for rtt. */
  uiVsSave: RoundFigures | null;
  /** UI path: its CPU per message (wspeek + tmux) over headless wspeek's, paired per round, minus 1. */
  uiCpuExtra: number | null;
  /** The acting paths (--intercept, --script) against --save, paired per round: throughput ratio, or added p50 (µs). */
  vsSave: number | null;
  vsSaveP50Us: number | null;
  /** Lines path against --save, paired per round: throughput ratios, or added p50 (µs) for rtt. */
  linesVsSave: RoundFigures | null;
  /** Lines path: its CPU per message over --save's, paired per round, minus 1. */
  linesCpuExtra: number | null;
  /** Lines path: bytes of human lines per echoed message (per round trip for rtt), median over rounds. */
  linesBytesPerMessage: number | null;
  /** With BENCH_BASELINE: --save against the baseline's --save, paired per round: throughput ratio, or added p50 (µs). */
  vsBaseline: number | null;
  vsBaselineP50Us: number | null;
  /** On --save: against the plain relay, paired per round: throughput ratios, or p50 differences (µs) for rtt. */
  vsRelay: RoundFigures | null;
  /** rtt, on --save: its p99 over the relay's, and over mitmdump's (null without mitmdump), paired per round. */
  p99VsRelay: RoundFigures | null;
  p99VsMitmdump: RoundFigures | null;
  /** With the raw path, on --save: decoding application protocols against --protocol raw, paired per round: throughput ratios, or added p50 (µs) for rtt. */
  vsRaw: RoundFigures | null;
  /** (max − min) / median of the workload's main figure over rounds: how noisy the rounds were. */
  spread: number | null;
  peakRssBytes: number | null;
  cpu: { proxy: number | null; terminal: number | null; echo: number | null; load: number | null; others: number | null; steal: number | null };
  /** Proxy CPU per echoed message (µs), counting both directions of the message. */
  proxyCpuUsPerMessage: number | null;
}

/** Per-round paired figures: their median, and their range (the spread). */
export interface RoundFigures {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

export interface WorkloadSummary {
  workload: WorkloadName;
  paths: Partial<Record<PathName, PathSummary>>;
}

export interface TargetCheck {
  name: string;
  target: string;
  value: string;
  pass: boolean | null;
}

export interface Summary {
  workloads: WorkloadSummary[];
  /** Max peak RSS over every workload, per path, and which workload reached it. */
  peakRss: Partial<Record<PathName, { bytes: number; workload: WorkloadName } | null>>;
  core: CoreScenarioResult[];
  targets: TargetCheck[];
}

/**
 * Headless wspeek with --save against the plain relay, in the same rounds: throughput keeps at
 * least this share of the relay's (the median of the per-round ratios). `sio64` has none.
 */
export const RELAY_TARGETS: Partial<Record<WorkloadName, number>> = { msg64: 0.92, conn200: 0.92, deflate64: 1.0, bin1m: 0.65 };
/**
 * `rtt`, headless wspeek with --save against the plain relay and mitmdump, in the same rounds (medians
 * of the per-round figures): its p50 at most `p50OverRelayUs` over the relay's (so the latency it adds
 * over direct at most that much more than the relay adds); its p99 at most `p99OverRelay` times the
 * relay's; and, where mitmdump has an `rtt` result, its p99 below mitmdump's.
 */
export const LATENCY_TARGETS = { p50OverRelayUs: 20, p99OverRelay: 1.5 };
/** wspeek with its UI against headless wspeek with --save, in the same rounds: throughput keeps at least this share (the median of the per-round ratios). */
export const UI_TARGETS: Partial<Record<WorkloadName, number>> = { msg64: 0.85, conn200: 0.85 };
/** Peak RSS of wspeek --save and wspeek UI in every workload (also the soak's); the decoder alone, in process: small frames per second, 1 MiB frames in bytes per second. */
export const TARGETS = {
  peakRssBytes: 150e6,
  coreSmallFramesPerSec: 2e6,
  coreLargeBytesPerSec: 1e9,
};

const WSPEEK: PathName[] = ['save', 'ui'];
/**
 * The paths where wspeek can act on the traffic, each headless with --save as the passive path is:
 * `--intercept` with a script whose onMessage the filter never calls, and `--script` whose onMessage
 * sees every message and returns undefined. Their targets: throughput against --save in the same round, on msg64.
 */
export const ACTING_TARGETS: Partial<Record<PathName, number>> = { intercept: 0.7, script: 0.5 };
const ACTING: PathName[] = ['intercept', 'script'];
const ACTING_WORKLOAD: WorkloadName = 'msg64';

/**
 * Decoding application protocols (wspeek --save) against wspeek --protocol raw, in the same rounds:
 * on Socket.IO traffic, throughput keeps at least this share of raw's (median of the per-round ratios).
 */
export const DECODING_TARGETS: Partial<Record<WorkloadName, number>> = { sio64: 0.9 };
/**
 * On plain traffic (no protocol to read), decoding costs nothing measurable: --save was not slower
 * than raw in every round. All of them slower by chance alone is 1 in 2^rounds; with fewer than
 * SIGN_TEST_ROUNDS rounds the check can't tell.
 */
const NOTHING_MEASURABLE: WorkloadName[] = ['msg64'];
const SIGN_TEST_ROUNDS = 5;

const orNull = (xs: number[]) => (xs.length ? median(xs) : null);
const figuresOf = (xs: number[]): RoundFigures | null => (xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), rounds: xs.length } : null);

export function summarize(samples: Sample[], workloads: WorkloadName[], paths: PathName[], core: CoreScenarioResult[]): Summary {
  const get = (w: WorkloadName, p: PathName, round: number) => samples.find((s) => s.workload === w && s.path === p && s.round === round && s.result);
  const rounds = [...new Set(samples.map((s) => s.round))];
  const out: WorkloadSummary[] = [];
  for (const w of workloads) {
    const ws: WorkloadSummary = { workload: w, paths: {} };
    for (const p of paths) {
      const mine = samples.filter((s) => s.workload === w && s.path === p);
      const ok = mine.filter((s) => s.result);
      const tput = ok.map((s) => s.result).filter((r) => r?.kind === 'throughput');
      const lat = ok.map((s) => s.result).filter((r) => r?.kind === 'latency');
      const perRound = (f: (mine: WorkloadResult, other: WorkloadResult) => number, other: PathName) => rounds.flatMap((r) => {
        const a = get(w, p, r);
        const b = get(w, other, r);
        return a && b ? [f(a.result!, b.result!)] : [];
      });
      const paired = (f: (mine: WorkloadResult, other: WorkloadResult) => number, other: PathName) => orNull(perRound(f, other));
      const primary = (r: WorkloadResult) => (r.kind === 'throughput' ? (w === 'bin1m' ? r.bytesPerSec : r.messagesPerSec) : NaN);
      const ratio = (a: WorkloadResult, b: WorkloadResult) => primary(a) / primary(b);
      const p50Diff = (a: WorkloadResult, b: WorkloadResult) => (a.kind === 'latency' && b.kind === 'latency' ? a.p50Us - b.p50Us : NaN);
      // The paired figure against another path: the throughput ratio, or for rtt the p50 difference (µs).
      const ratioOrP50 = (a: WorkloadResult, b: WorkloadResult) => (a.kind === 'latency' ? p50Diff(a, b) : ratio(a, b));
      const p99Ratio = (a: WorkloadResult, b: WorkloadResult) => (a.kind === 'latency' && b.kind === 'latency' ? a.p99Us / b.p99Us : NaN);
      const p99Diff = (a: WorkloadResult, b: WorkloadResult) => (a.kind === 'latency' && b.kind === 'latency' ? a.p99Us - b.p99Us : NaN);
      const s: PathSummary = {
        path: p,
        rounds: ok.length,
        errors: mine.filter((x) => x.error).map((x) => `round ${x.round + 1}: ${x.error}`),
        messagesPerSec: orNull(tput.map((r) => (r.kind === 'throughput' ? r.messagesPerSec : NaN))),
        bytesPerSec: orNull(tput.map((r) => (r.kind === 'throughput' ? r.bytesPerSec : NaN))),
        ratio: tput.length ? paired(ratio, 'direct') : null,
        p50Us: orNull(lat.map((r) => (r.kind === 'latency' ? r.p50Us : NaN))),
        p99Us: orNull(lat.map((r) => (r.kind === 'latency' ? r.p99Us : NaN))),
        addedP50Us: lat.length ? paired(p50Diff, 'direct') : null,
        addedP99Us: lat.length ? paired(p99Diff, 'direct') : null,
        uiVsSave: p === 'ui' ? figuresOf(perRound(ratioOrP50, 'save')) : null,
        vsSave: ACTING.includes(p) && tput.length ? paired(ratio, 'save') : null,
        vsSaveP50Us: ACTING.includes(p) && lat.length ? paired(p50Diff, 'save') : null,
        linesVsSave: p === 'lines' ? figuresOf(perRound(ratioOrP50, 'save')) : null,
        linesCpuExtra: p === 'lines' ? cpuExtraOver(samples, w, 'lines', false, rounds) : null,
        linesBytesPerMessage: p === 'lines' ? orNull(ok.flatMap((x) => {
          const n = x.stdoutBytes === null ? null : messagesOf(x);
          return n ? [x.stdoutBytes! / n] : [];
        })) : null,
        vsBaseline: p === 'save' && paths.includes('baseline') && tput.length ? paired(ratio, 'baseline') : null,
        vsBaselineP50Us: p === 'save' && paths.includes('baseline') && lat.length ? paired(p50Diff, 'baseline') : null,
        vsRelay: p === 'save' ? figuresOf(perRound(ratioOrP50, 'relay')) : null,
        p99VsRelay: p === 'save' && lat.length ? figuresOf(perRound(p99Ratio, 'relay')) : null,
        p99VsMitmdump: p === 'save' && lat.length ? figuresOf(perRound(p99Ratio, 'mitmproxy')) : null,
        vsRaw: p === 'save' && paths.includes('raw') ? figuresOf(perRound(ratioOrP50, 'raw')) : null,
        uiCpuExtra: p === 'ui' ? cpuExtraOver(samples, w, 'ui', true, rounds) : null,
        spread: spreadOf(ok.map((x) => (x.result!.kind === 'latency' ? x.result!.p50Us : primary(x.result!)))),
        peakRssBytes: mine.some((x) => x.peakRssBytes !== null) ? Math.max(...mine.map((x) => x.peakRssBytes ?? 0)) : null,
        cpu: {
          proxy: orNull(ok.flatMap((x) => (x.cpu.proxy === null ? [] : [x.cpu.proxy]))),
          terminal: orNull(ok.flatMap((x) => (x.cpu.terminal === null ? [] : [x.cpu.terminal]))),
          echo: orNull(ok.flatMap((x) => (x.cpu.echo === null ? [] : [x.cpu.echo]))),
          load: orNull(ok.flatMap((x) => (x.cpu.load === null ? [] : [x.cpu.load]))),
          others: orNull(ok.flatMap((x) => (x.cpu.others === null ? [] : [x.cpu.others]))),
          steal: orNull(ok.flatMap((x) => (x.cpu.steal === null ? [] : [x.cpu.steal]))),
        },
        proxyCpuUsPerMessage: orNull(ok.flatMap((x) => {
          const c = cpuPerMessage(x, false);
          return c === null ? [] : [c];
        })),
      };
      ws.paths[p] = s;
    }
    out.push(ws);
  }
  const peakRss: Summary['peakRss'] = {};
  for (const p of paths) {
    if (p === 'direct') continue;
    let best: { bytes: number; workload: WorkloadName } | null = null;
    for (const ws of out) {
      const b = ws.paths[p]?.peakRssBytes ?? null;
      if (b !== null && (!best || b > best.bytes)) best = { bytes: b, workload: ws.workload };
    }
    peakRss[p] = best;
  }
  return { workloads: out, peakRss, core, targets: checkTargets(out, peakRss, core, paths) };
}

/** Echoed messages (round trips for rtt) per second of a sample's measurement. */
function perSecond(r: WorkloadResult): number {
  return r.kind === 'throughput' ? r.messagesPerSec : 1e6 / r.meanUs;
}

/** Echoed messages (round trips for rtt) during a sample's measurement, or null without a result. */
function messagesOf(x: Sample): number | null {
  return x.result ? perSecond(x.result) * x.result.seconds : null;
}

/** The proxy's CPU µs per echoed message (per round trip for rtt); with `terminal`, tmux's CPU counts too. */
function cpuPerMessage(x: Sample, terminal: boolean): number | null {
  if (x.cpu.proxy === null || !x.result) return null;
  const perSec = perSecond(x.result);
  const cpu = x.cpu.proxy + (terminal ? x.cpu.terminal ?? 0 : 0);
  return perSec > 0 ? (cpu / perSec) * 1e6 : null;
}

/** Path `p`'s CPU per message (with `terminal`, tmux's too) over --save's, paired per round, minus 1: the median. */
function cpuExtraOver(samples: Sample[], w: WorkloadName, p: PathName, terminal: boolean, rounds: number[]): number | null {
  return orNull(rounds.flatMap((r) => {
    const mine = samples.find((x) => x.workload === w && x.path === p && x.round === r && x.result);
    const save = samples.find((x) => x.workload === w && x.path === 'save' && x.round === r && x.result);
    const a = mine && cpuPerMessage(mine, terminal);
    const b = save && cpuPerMessage(save, false);
    return a && b ? [a / b - 1] : [];
  }));
}

function spreadOf(values: number[]): number | null {
  if (values.length < 2) return null;
  const m = median(values);
  return m > 0 ? (Math.max(...values) - Math.min(...values)) / m : null;
}

function checkTargets(ws: WorkloadSummary[], peakRss: Summary['peakRss'], core: CoreScenarioResult[], paths: PathName[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const pass = (v: number | null, ok: (v: number) => boolean) => (v === null || Number.isNaN(v) ? null : ok(v));
  const save = PATH_LABELS.save;
  for (const w of ws) {
    const s = w.paths.save;
    const min = RELAY_TARGETS[w.workload];
    if (s && min !== undefined) checks.push({ name: `${w.workload} ${save} vs relay`, target: `≥ ${min.toFixed(2)}×`, value: fmtFigures(s.vsRelay), pass: atLeast(s.vsRelay, min) });
    if (s && w.workload === 'rtt') {
      checks.push({ name: `rtt ${save} p50 over relay`, target: `≤ +${LATENCY_TARGETS.p50OverRelayUs} µs`, value: fmtUsFigures(s.vsRelay), pass: p50OverRelayPass(s.vsRelay) });
      checks.push({ name: `rtt ${save} p99 vs relay`, target: `≤ ${LATENCY_TARGETS.p99OverRelay.toFixed(2)}×`, value: fmtFigures(s.p99VsRelay), pass: p99VsRelayPass(s.p99VsRelay) });
      checks.push({ name: `rtt ${save} p99 vs mitmdump`, target: '< 1.00×', value: fmtFigures(s.p99VsMitmdump), pass: p99VsMitmdumpPass(s.p99VsMitmdump) });
    }
    const ui = w.paths.ui;
    const uiMin = UI_TARGETS[w.workload];
    if (ui && uiMin !== undefined) checks.push({ name: `${w.workload} ${PATH_LABELS.ui} vs ${save}`, target: `≥ ${uiMin.toFixed(2)}×`, value: fmtFigures(ui.uiVsSave), pass: atLeast(ui.uiVsSave, uiMin) });
  }
  const msg64 = ws.find((w) => w.workload === ACTING_WORKLOAD);
  for (const p of ACTING.filter((x) => paths.includes(x))) {
    const s = msg64?.paths[p];
    const min = ACTING_TARGETS[p]!;
    if (s) checks.push({ name: `${ACTING_WORKLOAD} ${PATH_LABELS[p]} vs wspeek --save`, target: `≥ ${min.toFixed(2)}×`, value: fmtRatio(s.vsSave), pass: pass(s.vsSave, (v) => v >= min) });
  }
  if (paths.includes('raw')) {
    for (const w of ws) {
      const target = decodingTarget(w.workload);
      const f = w.paths.save?.vsRaw ?? null;
      if (target) checks.push({ name: `${w.workload} decoding vs raw (${PATH_LABELS.save} / ${PATH_LABELS.raw})`, target, value: fmtFigures(f), pass: decodingPass(w.workload, f) });
    }
  }
  for (const p of WSPEEK.filter((x) => paths.includes(x))) {
    const r = peakRss[p];
    checks.push({ name: `peak RSS ${PATH_LABELS[p]}`, target: `≤ ${TARGETS.peakRssBytes / 1e6} MB`, value: r ? `${fmtMB(r.bytes)} (${r.workload})` : '-', pass: r ? r.bytes <= TARGETS.peakRssBytes : null });
  }
  const small = core.find((c) => c.name === 'small');
  const large = core.find((c) => c.name === 'large');
  if (small) checks.push({ name: 'core small frames', target: '≥ 2M frames/s', value: fmtCount(small.medianFramesPerSec, '/s'), pass: small.medianFramesPerSec >= TARGETS.coreSmallFramesPerSec });
  if (large) checks.push({ name: 'core large frames', target: '≥ 1 GB/s', value: fmtGBs(large.medianBytesPerSec), pass: large.medianBytesPerSec >= TARGETS.coreLargeBytesPerSec });
  return checks;
}

/** What decoding may cost against raw on workload `w`, as its target line says it; null when `w` has no target. */
function decodingTarget(w: WorkloadName): string | null {
  const min = DECODING_TARGETS[w];
  if (min !== undefined) return `≥ ${min.toFixed(2)}×`;
  return NOTHING_MEASURABLE.includes(w) ? `nothing measurable: not slower in every round (≥ ${SIGN_TEST_ROUNDS} rounds)` : null;
}

/** Whether decoding against raw met its target on workload `w`: null when `w` has none, or the rounds can't tell. */
function decodingPass(w: WorkloadName, f: RoundFigures | null): boolean | null {
  if (!f) return null;
  const min = DECODING_TARGETS[w];
  if (min !== undefined) return f.median >= min;
  if (!NOTHING_MEASURABLE.includes(w) || f.rounds < SIGN_TEST_ROUNDS) return null;
  return f.max >= 1;
}

/** Whether per-round figures met a floor on their median: null without figures. */
function atLeast(f: RoundFigures | null, min: number): boolean | null {
  return f ? f.median >= min : null;
}

/** rtt: whether --save's p50 was at most LATENCY_TARGETS.p50OverRelayUs over the relay's (the median, in whole µs, as shown). */
function p50OverRelayPass(f: RoundFigures | null): boolean | null {
  return f ? Math.round(f.median) <= LATENCY_TARGETS.p50OverRelayUs : null;
}

/** rtt: whether --save's p99 was at most LATENCY_TARGETS.p99OverRelay times the relay's (the median ratio). */
function p99VsRelayPass(f: RoundFigures | null): boolean | null {
  return f ? f.median <= LATENCY_TARGETS.p99OverRelay : null;
}

/** rtt: whether --save's p99 was below mitmdump's (the median ratio); null without mitmdump. */
function p99VsMitmdumpPass(f: RoundFigures | null): boolean | null {
  return f ? f.median < 1 : null;
}

/** rtt: all of --save's latency targets at once; mitmdump's counts where it was measured. */
function rttPass(s: PathSummary): boolean | null {
  const passes = [p50OverRelayPass(s.vsRelay), p99VsRelayPass(s.p99VsRelay), p99VsMitmdumpPass(s.p99VsMitmdump)];
  if (passes.includes(false)) return false;
  return passes[0] && passes[1] ? true : null;
}

// ---------------------------------------------------------------------------------------------
// Formatting.

const mark = (pass: boolean | null | undefined) => (pass === true ? ' ✓' : pass === false ? ' ✗' : '');
const fmtRatio = (r: number | null) => (r === null ? '-' : `${r.toFixed(2)}×`);
const fmtPct = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`);
/** Bytes as MB (10^6, as the targets count them). */
export const fmtMB = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const fmtGBs = (bytesPerSec: number) => `${(bytesPerSec / 1e9).toFixed(2)} GB/s`;
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');

function fmtCount(x: number, unit: string): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M${unit}`;
  return `${fmtInt(x)}${unit}`;
}

function throughputCell(w: WorkloadName, s: PathSummary | undefined, withRatio: boolean): string {
  if (!s || s.rounds === 0) return s?.errors.length ? 'failed' : '-';
  const value = w === 'bin1m' ? `${fmtInt((s.bytesPerSec ?? 0) / 1e6)} MB/s` : `${fmtInt(s.messagesPerSec ?? 0)}/s`;
  return withRatio ? `${value} (${fmtRatio(s.ratio)})` : value;
}

function signedUs(x: number | null): string {
  return x === null ? '-' : `${x >= 0 ? '+' : ''}${fmtInt(x)}`;
}

/** Per-round ratios as their median and, over more than one round, their range: `0.97× (0.91–1.02)`. */
function fmtFigures(f: RoundFigures | null): string {
  if (!f) return '-';
  return f.rounds > 1 ? `${f.median.toFixed(2)}× (${f.min.toFixed(2)}–${f.max.toFixed(2)})` : `${f.median.toFixed(2)}×`;
}

/** Per-round differences (µs) as their median and, over more than one round, their range: `+3 µs (-2…+8)`. */
function fmtUsFigures(f: RoundFigures | null): string {
  if (!f) return '-';
  return `${signedUs(f.median)} µs${f.rounds > 1 ? ` (${signedUs(f.min)}…${signedUs(f.max)})` : ''}`;
}

/** Per-round p50 differences (µs), as fmtUsFigures says them: `p50 +3 µs (-2…+8)`. */
function fmtFiguresUs(f: RoundFigures | null): string {
  return f ? `p50 ${fmtUsFigures(f)}` : '-';
}

/** "--save vs relay": the per-round throughput ratios; for rtt, the p50 difference and the p99 ratio (and mitmdump's, where measured); marked by the targets. */
function relayCell(w: WorkloadName, s: PathSummary | undefined): string {
  if (!s || s.rounds === 0) return s?.errors.length ? 'failed' : '-';
  if (w !== 'rtt') {
    const min = RELAY_TARGETS[w];
    return `${fmtFigures(s.vsRelay)}${min === undefined ? '' : mark(atLeast(s.vsRelay, min))}`;
  }
  const p50 = s.vsRelay ? `p50 ${signedUs(s.vsRelay.median)} µs over relay` : 'p50 -';
  const p99 = `p99 ${fmtRatio(s.p99VsRelay?.median ?? null)} relay`;
  const mitmdump = s.p99VsMitmdump ? ` · p99 ${fmtRatio(s.p99VsMitmdump.median)} mitmdump` : '';
  return `${p50} · ${p99}${mitmdump}${mark(rttPass(s))}`;
}

/** The "target (wspeek)" cell: --save's target against the relay (and mitmdump, for rtt, where it runs). */
function targetCell(w: WorkloadName, mitmdump: boolean): string {
  if (w === 'rtt') return `p50 ≤ relay+${LATENCY_TARGETS.p50OverRelayUs} µs · p99 ≤ ${LATENCY_TARGETS.p99OverRelay}× relay${mitmdump ? ' · p99 < mitmdump' : ''}`;
  const min = RELAY_TARGETS[w];
  return min === undefined ? '-' : `≥ ${min.toFixed(2)}× relay`;
}

/** "lines vs --save": the paired figures, CPU per message over --save's, and how much text the lines were per message. */
function linesCell(w: WorkloadName, s: PathSummary | undefined): string {
  if (!s || s.rounds === 0) return s?.errors.length ? 'failed' : '-';
  const vs = w === 'rtt' ? fmtFiguresUs(s.linesVsSave) : fmtFigures(s.linesVsSave);
  const text = s.linesBytesPerMessage === null ? '-' : `${fmtInt(s.linesBytesPerMessage)} B`;
  return `${vs} · CPU/msg ${fmtPct(s.linesCpuExtra)} · ${text}/msg`;
}

/** The main table's rows: header first. */
export function tableRows(summary: Summary, paths: PathName[]): string[][] {
  const cols = paths;
  const baseline = cols.includes('baseline');
  const raw = cols.includes('raw');
  const lines = cols.includes('lines');
  const acting = ACTING.filter((p) => cols.includes(p));
  const header = [
    'workload', ...cols.map((p) => PATH_LABELS[p]), 'target (wspeek)', '--save vs relay', ...(lines ? ['lines vs --save'] : []), ...(cols.includes('ui') ? ['UI vs --save'] : []),
    ...(acting.length ? ['acting vs --save'] : []), ...(raw ? ['decoding vs raw'] : []), ...(baseline ? ['--save vs baseline'] : []),
  ];
  const rows: string[][] = [header];
  for (const ws of summary.workloads) {
    const w = ws.workload;
    const row: string[] = [w === 'rtt' ? 'rtt p50/p99' : w];
    for (const p of cols) {
      const s = ws.paths[p];
      if (w === 'rtt') {
        if (!s || s.rounds === 0) row.push(s?.errors.length ? 'failed' : '-');
        else if (p === 'direct') row.push(`${fmtInt(s.p50Us!)}/${fmtInt(s.p99Us!)} µs`);
        else row.push(`${signedUs(s.addedP50Us)}/${signedUs(s.addedP99Us)} µs`);
      } else row.push(throughputCell(w, s, p !== 'direct'));
    }
    row.push(targetCell(w, cols.includes('mitmproxy')));
    row.push(relayCell(w, ws.paths.save));
    if (lines) row.push(linesCell(w, ws.paths.lines));
    if (cols.includes('ui')) {
      const s = ws.paths.ui;
      const min = UI_TARGETS[w];
      if (w === 'rtt') row.push(fmtFiguresUs(s?.uiVsSave ?? null));
      else {
        const tput = `${fmtFigures(s?.uiVsSave ?? null)}${min === undefined ? '' : mark(atLeast(s?.uiVsSave ?? null, min))}`;
        row.push(s?.uiCpuExtra != null ? `${tput} · CPU/msg ${fmtPct(s.uiCpuExtra)}` : tput);
      }
    }
    if (acting.length) {
      row.push(acting.map((p) => {
        const s = ws.paths[p];
        const name = p === 'intercept' ? '--intercept' : '--script';
        if (w === 'rtt') return `${name} p50 ${s?.vsSaveP50Us != null ? `${signedUs(s.vsSaveP50Us)} µs` : '-'}`;
        const min = ACTING_TARGETS[p]!;
        return `${name} ${s?.vsSave != null ? `${s.vsSave.toFixed(2)}×${w === ACTING_WORKLOAD ? mark(s.vsSave >= min) : ''}` : '-'}`;
      }).join(' · '));
    }
    if (raw) {
      const f = ws.paths.save?.vsRaw ?? null;
      row.push(w === 'rtt' ? fmtFiguresUs(f) : `${fmtFigures(f)}${mark(decodingPass(w, f))}`);
    }
    if (baseline) {
      const s = ws.paths.save;
      if (w === 'rtt') row.push(s?.vsBaselineP50Us != null ? `p50 ${signedUs(s.vsBaselineP50Us)} µs` : '-');
      else row.push(s?.vsBaseline != null ? `${s.vsBaseline.toFixed(3)}×` : '-');
    }
    rows.push(row);
  }
  const rss: string[] = ['peak RSS'];
  for (const p of cols) {
    const r = summary.peakRss[p];
    if (p === 'direct' || !r) rss.push('-');
    else rss.push(`${fmtMB(r.bytes)}${WSPEEK.includes(p) ? mark(r.bytes <= TARGETS.peakRssBytes) : ''}`);
  }
  rss.push(`≤ ${TARGETS.peakRssBytes / 1e6} MB`);
  // How much more one path's peak RSS was than another's (`to` − `from`).
  const rssDelta = (from: PathName, to: PathName) => {
    const a = summary.peakRss[from];
    const b = summary.peakRss[to];
    if (!a || !b) return '-';
    const mb = Math.round((b.bytes - a.bytes) / 1e6);
    return `${mb >= 0 ? '+' : ''}${mb} MB`;
  };
  rss.push(rssDelta('relay', 'save'));
  if (lines) rss.push(rssDelta('save', 'lines'));
  if (cols.includes('ui')) rss.push(rssDelta('save', 'ui'));
  if (acting.length) rss.push('-');
  if (raw) rss.push(rssDelta('raw', 'save'));
  if (baseline) rss.push(rssDelta('baseline', 'save'));
  rows.push(rss);
  return rows;
}

export function coreLine(core: CoreScenarioResult[]): string {
  const by = (n: string) => core.find((c) => c.name === n);
  const parts: string[] = [];
  const small = by('small');
  const large = by('large');
  const over = by('overCap');
  const inflate = by('inflate');
  if (small) parts.push(`small ${fmtCount(small.medianFramesPerSec, ' frames/s')}${mark(small.medianFramesPerSec >= TARGETS.coreSmallFramesPerSec)} (≥ 2M)`);
  if (large) parts.push(`large ${fmtGBs(large.medianBytesPerSec)}${mark(large.medianBytesPerSec >= TARGETS.coreLargeBytesPerSec)} (≥ 1 GB/s)`);
  if (over) parts.push(`over-cap ${fmtGBs(over.medianBytesPerSec)}`);
  if (inflate) parts.push(`inflate ${fmtInt(inflate.medianFramesPerSec)} msgs/s`);
  return `core (in-process ConnectionDecoder): ${parts.join(' · ')}`;
}

export function machineLine(m: Machine): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  return `machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, wspeek unmasking with ${m.unmask} (peers: ws without bufferutil), ${m.date}; load average ${load(m.loadAvgStart)} at start, ${load(m.loadAvgEnd)} at end; code ${m.code}`;
}

function widthOf(s: string): number {
  return [...s].length;
}

export function formatPlain(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => widthOf(r[i] ?? ''))));
  return rows.map((r) => r.map((c, i) => c + ' '.repeat(widths[i]! - widthOf(c))).join('  ').trimEnd()).join('\n');
}

export function formatMarkdown(rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const [header, ...body] = rows;
  return [
    `| ${header!.map(esc).join(' | ')} |`,
    `|${header!.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** Per workload and path: CPU during measurement, proxy CPU per message (per round trip for rtt), peak RSS, spread of the rounds. */
export function detailRows(summary: Summary, paths: PathName[]): string[][] {
  const rows: string[][] = [['workload', 'path', 'proxy CPU', 'µs/msg', 'tmux CPU', 'echo CPU', 'load CPU', 'others CPU', 'peak RSS', 'spread', 'rounds ok']];
  const cores = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(0)}%`);
  for (const ws of summary.workloads) {
    for (const p of paths) {
      const s = ws.paths[p];
      if (!s) continue;
      rows.push([
        ws.workload, PATH_LABELS[p], cores(s.cpu.proxy),
        s.proxyCpuUsPerMessage === null ? '-' : s.proxyCpuUsPerMessage.toFixed(ws.workload === 'bin1m' ? 0 : 1),
        cores(s.cpu.terminal), cores(s.cpu.echo), cores(s.cpu.load), cores(s.cpu.others),
        s.peakRssBytes === null ? '-' : fmtMB(s.peakRssBytes), s.spread === null ? '-' : `${(s.spread * 100).toFixed(0)}%`, `${s.rounds}`,
      ]);
    }
  }
  return rows;
}

export function targetLines(summary: Summary): string[] {
  return summary.targets.map((t) => `${t.pass === true ? '✓' : t.pass === false ? '✗' : '?'} ${t.name}: ${t.value} (target ${t.target})`);
}

export function writeJson(file: string, data: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}
