import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkloadResult } from '../bench/load.js';
import { summarize, tableRows, targetLines, type PathName, type Sample, type Summary, type TargetCheck, type WorkloadName } from '../bench/report.js';

// The bench's targets, judged on synthetic rounds: --save against the plain relay (and mitmdump
// for rtt), and the UI against --save, each on the median of the per-round paired figures.

const tput = (messagesPerSec: number, bytesPerSec = messagesPerSec * 64): WorkloadResult => ({
  kind: 'throughput', messages: messagesPerSec * 2, bytes: bytesPerSec * 2, seconds: 2, messagesPerSec, bytesPerSec,
});
const lat = (p50Us: number, p99Us: number): WorkloadResult => ({ kind: 'latency', samples: 10_000, seconds: 2, p50Us, p99Us, meanUs: p50Us });

/** One path's results on one workload, round by round (round 0 first). */
function series(workload: WorkloadName, path: PathName, results: WorkloadResult[]): Sample[] {
  return results.map((result, round) => ({
    round, workload, path, order: 0, attempts: 1, result, error: null,
    cpu: { proxy: null, terminal: null, echo: null, load: null, others: null, steal: null }, peakRssBytes: null, stdoutBytes: null,
  }));
}

function check(summary: Summary, name: string): TargetCheck {
  const c = summary.targets.find((t) => t.name === name);
  assert.ok(c, `no check named ${name}: ${summary.targets.map((t) => t.name).join(', ')}`);
  return c;
}

const PATHS: PathName[] = ['direct', 'relay', 'save', 'ui'];

/**
 * Three rounds. msg64: --save/relay 0.95, 0.90, 1.01 per round (median 0.95, though the medians'
 * ratio is 1.01); conn200: 0.90, 0.80, 0.95 (median 0.90, below 0.92). bin1m: 0.70× the relay's
 * bytes a second in every round, while its messages a second are half the relay's.
 */
const THROUGHPUT: Sample[] = [
  ...series('msg64', 'direct', [tput(130_000), tput(250_000), tput(200_000)]),
  ...series('msg64', 'relay', [tput(100_000), tput(200_000), tput(150_000)]),
  ...series('msg64', 'save', [tput(95_000), tput(180_000), tput(151_500)]),
  ...series('msg64', 'ui', [tput(85_500), tput(170_000), tput(120_000)]),
  ...series('conn200', 'direct', [tput(130_000), tput(130_000), tput(130_000)]),
  ...series('conn200', 'relay', [tput(100_000), tput(100_000), tput(100_000)]),
  ...series('conn200', 'save', [tput(90_000), tput(80_000), tput(95_000)]),
  ...series('conn200', 'ui', [tput(72_000), tput(72_000), tput(90_250)]),
  ...series('bin1m', 'direct', [tput(300, 300e6), tput(300, 300e6), tput(300, 300e6)]),
  ...series('bin1m', 'relay', [tput(200, 200e6), tput(200, 200e6), tput(200, 200e6)]),
  ...series('bin1m', 'save', [tput(100, 140e6), tput(100, 140e6), tput(100, 140e6)]),
];

/**
 * rtt, three rounds: --save's p50 15, 25, 10 µs over the relay's (median 15; its added p50 over
 * direct has a median of 60 against the relay's 50: 10 apart, not 15); its p99 1.3, 1.6, 1.4 times
 * the relay's (median 1.4).
 */
const RTT: Sample[] = [
  ...series('rtt', 'direct', [lat(70, 150), lat(70, 150), lat(70, 150)]),
  ...series('rtt', 'relay', [lat(100, 200), lat(150, 400), lat(120, 300)]),
  ...series('rtt', 'save', [lat(115, 260), lat(175, 640), lat(130, 420)]),
];

const WORKLOADS: WorkloadName[] = ['msg64', 'bin1m', 'rtt', 'conn200'];

test('--save against the relay: the median of the per-round ratios, and their range, judged against the target', () => {
  const summary = summarize([...THROUGHPUT, ...RTT], WORKLOADS, PATHS, []);
  const msg64 = summary.workloads.find((w) => w.workload === 'msg64')!.paths.save!;
  assert.deepEqual(msg64.vsRelay && { ...msg64.vsRelay, median: +msg64.vsRelay.median.toFixed(6), min: +msg64.vsRelay.min.toFixed(6), max: +msg64.vsRelay.max.toFixed(6) }, { median: 0.95, min: 0.9, max: 1.01, rounds: 3 });
  assert.equal(check(summary, 'msg64 wspeek --save vs relay').pass, true);
  assert.equal(check(summary, 'msg64 wspeek --save vs relay').value, '0.95× (0.90–1.01)');
  assert.equal(check(summary, 'conn200 wspeek --save vs relay').pass, false);
  assert.equal(check(summary, 'conn200 wspeek --save vs relay').value, '0.90× (0.80–0.95)');
  // bin1m is judged on bytes a second.
  assert.equal(check(summary, 'bin1m wspeek --save vs relay').value, '0.70× (0.70–0.70)');
  assert.equal(check(summary, 'bin1m wspeek --save vs relay').pass, true);
  assert.ok(targetLines(summary).includes('✓ msg64 wspeek --save vs relay: 0.95× (0.90–1.01) (target ≥ 0.92×)'));
  assert.ok(targetLines(summary).includes('✗ conn200 wspeek --save vs relay: 0.90× (0.80–0.95) (target ≥ 0.92×)'));
  // No direct-path targets any more.
  assert.ok(!summary.targets.some((t) => t.name.includes('vs direct') || t.name.includes('added')));
});

test('a per-round median at the target passes, one just below it fails', () => {
  // conn200 ratios 0.93, 0.91, 0.92: median 0.92, passes; 0.93, 0.91, 0.915: median 0.915, fails.
  const at = (third: number) => summarize([
    ...series('conn200', 'relay', [tput(100_000), tput(100_000), tput(100_000)]),
    ...series('conn200', 'save', [tput(93_000), tput(91_000), tput(third)]),
  ], ['conn200'], ['relay', 'save'], []);
  assert.equal(check(at(92_000), 'conn200 wspeek --save vs relay').pass, true);
  assert.equal(check(at(91_500), 'conn200 wspeek --save vs relay').pass, false);
});

test('rtt: p50 judged on save − relay per round, p99 on save / relay per round', () => {
  const summary = summarize([...THROUGHPUT, ...RTT], WORKLOADS, PATHS, []);
  const rtt = summary.workloads.find((w) => w.workload === 'rtt')!.paths.save!;
  assert.deepEqual(rtt.vsRelay, { median: 15, min: 10, max: 25, rounds: 3 });
  assert.equal(rtt.addedP50Us, 60);
  assert.equal(check(summary, 'rtt wspeek --save p50 over relay').pass, true);
  assert.equal(check(summary, 'rtt wspeek --save p50 over relay').value, '+15 µs (+10…+25)');
  assert.equal(rtt.p99VsRelay!.median.toFixed(2), '1.40');
  assert.equal(rtt.p99VsRelay!.min.toFixed(2), '1.30');
  assert.equal(rtt.p99VsRelay!.max.toFixed(2), '1.60');
  assert.equal(check(summary, 'rtt wspeek --save p99 vs relay').pass, true);
  assert.equal(check(summary, 'rtt wspeek --save p99 vs relay').value, '1.40× (1.30–1.60)');

  // p50 25, 25, 20 over the relay's: median 25 > 20. p99 1.6, 1.6, 1.6: over 1.5.
  const slow = summarize([
    ...series('rtt', 'direct', [lat(70, 150), lat(70, 150), lat(70, 150)]),
    ...series('rtt', 'relay', [lat(100, 200), lat(150, 400), lat(120, 300)]),
    ...series('rtt', 'save', [lat(125, 320), lat(175, 640), lat(140, 480)]),
  ], ['rtt'], ['direct', 'relay', 'save'], []);
  assert.equal(check(slow, 'rtt wspeek --save p50 over relay').pass, false);
  assert.equal(check(slow, 'rtt wspeek --save p99 vs relay').pass, false);
  const row = tableRows(slow, ['direct', 'relay', 'save']).find((r) => r[0] === 'rtt p50/p99')!;
  assert.ok(row.includes('p50 +25 µs over relay · p99 1.60× relay ✗'), row.join(' | '));
  assert.ok(row.includes('p50 ≤ relay+20 µs · p99 ≤ 1.5× relay'), row.join(' | '));
});

test('rtt: p99 against mitmdump only where mitmdump has a result', () => {
  const without = summarize(RTT, ['rtt'], ['direct', 'relay', 'save'], []);
  assert.equal(without.workloads[0]!.paths.save!.p99VsMitmdump, null);
  assert.equal(check(without, 'rtt wspeek --save p99 vs mitmdump').pass, null);
  assert.ok(targetLines(without).includes('? rtt wspeek --save p99 vs mitmdump: - (target < 1.00×)'));

  // save/mitmdump: 260/300, 640/500, 420/400: median 1.05, not below mitmdump's.
  const slower = summarize([...RTT, ...series('rtt', 'mitmproxy', [lat(200, 300), lat(300, 500), lat(250, 400)])], ['rtt'], ['direct', 'relay', 'mitmproxy', 'save'], []);
  assert.equal(slower.workloads[0]!.paths.save!.p99VsMitmdump!.median.toFixed(2), '1.05');
  assert.equal(check(slower, 'rtt wspeek --save p99 vs mitmdump').pass, false);
  const faster = summarize([...RTT, ...series('rtt', 'mitmproxy', [lat(200, 300), lat(300, 700), lat(250, 500)])], ['rtt'], ['direct', 'relay', 'mitmproxy', 'save'], []);
  assert.equal(check(faster, 'rtt wspeek --save p99 vs mitmdump').pass, true);
});

test('the UI against --save: the median of the per-round ratios, on msg64 and conn200', () => {
  const summary = summarize([...THROUGHPUT, ...RTT], WORKLOADS, PATHS, []);
  // msg64 ui/save: 0.90, 0.944, 0.792: median 0.90. conn200: 0.80, 0.90, 0.95: median 0.90.
  const msg64 = check(summary, 'msg64 wspeek UI vs wspeek --save');
  assert.equal(msg64.value, '0.90× (0.79–0.94)');
  assert.equal(msg64.pass, true);
  assert.equal(check(summary, 'conn200 wspeek UI vs wspeek --save').pass, true);
  const worse = summarize([...THROUGHPUT.filter((s) => !(s.workload === 'conn200' && s.path === 'ui')), ...series('conn200', 'ui', [tput(72_000), tput(64_000), tput(80_750)])], ['conn200'], PATHS, []);
  // 0.80, 0.80, 0.85: median 0.80.
  assert.equal(check(worse, 'conn200 wspeek UI vs wspeek --save').pass, false);
  assert.ok(!summary.targets.some((t) => t.name.includes('CPU per message')));
  // No UI target on bin1m.
  assert.ok(!summary.targets.some((t) => t.name === 'bin1m wspeek UI vs wspeek --save'));
});
