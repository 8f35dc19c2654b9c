/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time
 * (with their main callers), and the files they live in, optionally only for the samples taken
 * within a time window. Script URLs are shown relative to the project root.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** µs on the monotonic clock (CLOCK_MONOTONIC, as process.hrtime). */
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  /** Share of the sampled time that was not idle; NaN for the idle entry itself. */
  share: number;
  /** The functions that called it, by self time spent under them. */
  callers: Array<{ name: string; where: string; ms: number }>;
}

export interface ProfileSummary {
  totalMs: number;
  /** Samples marked idle (waiting in the event loop), included in totalMs. */
  idleMs: number;
  functions: SelfTime[];
  files: Array<{ file: string; ms: number; share: number }>;
}

/** A time window in µs on the monotonic clock: `process.hrtime.bigint() / 1000n`. */
export interface Window {
  startUs: number;
  endUs: number;
}

/** `source`: a .cpuprofile file, or a profile object (from node:inspector's Profiler.stop). */
export function summarizeProfile(source: string | object, root: string, window?: Window, top = 25): ProfileSummary {
  const profile = (typeof source === 'string' ? JSON.parse(fs.readFileSync(source, 'utf8')) : source) as CpuProfile;
  const rootUrl = pathToFileURL(root).href.replace(/\/?$/, '/');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const dt = deltas[i + 1] ?? 0;
    if (window && (t < window.startUs || t > window.endUs)) continue;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dt);
  }

  const label = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const url = shorten(f.url, rootUrl);
    const name = f.functionName || '(anonymous)';
    return { name, where: url ? `${url}:${f.lineNumber + 1}` : '', url };
  };
  const fns = new Map<string, { name: string; where: string; us: number; callers: Map<string, { name: string; where: string; us: number }> }>();
  const files = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const l = label(id);
    totalUs += us;
    if (l.name === '(idle)') idleUs += us;
    const key = `${l.name}@${l.where}`;
    const entry = fns.get(key) ?? { name: l.name, where: l.where, us: 0, callers: new Map() };
    entry.us += us;
    fns.set(key, entry);
    const p = parent.get(id);
    if (p !== undefined) {
      const pl = label(p);
      const pk = `${pl.name}@${pl.where}`;
      const c = entry.callers.get(pk) ?? { name: pl.name, where: pl.where, us: 0 };
      c.us += us;
      entry.callers.set(pk, c);
    }
    const fileKey = l.url || l.name;
    files.set(fileKey, (files.get(fileKey) ?? 0) + us);
  }
  const busy = totalUs - idleUs || 1;
  const share = (name: string, us: number) => (name === '(idle)' ? NaN : us / busy);
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...fns.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => ({
      name: e.name, where: e.where, ms: e.us / 1000, share: share(e.name, e.us),
      callers: [...e.callers.values()].sort((a, b) => b.us - a.us).slice(0, 3).map((c) => ({ name: c.name, where: c.where, ms: c.us / 1000 })),
    })),
    files: [...files.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([f, us]) => ({ file: f, ms: us / 1000, share: share(f, us) })),
  };
}

function shorten(url: string, rootUrl: string): string {
  // The bench runs a snapshot of dist/ (see snapshotWspeek): name the files as they are in dist/.
  if (url.startsWith(rootUrl)) return url.slice(rootUrl.length).replace(/^bench\/results\/\.wspeek-snapshot-[^/]+\//, 'dist/');
  if (url.startsWith('file://')) return `…/${url.split('/').slice(-2).join('/')}`;
  return url;
}

export function formatProfile(s: ProfileSummary, callersOfTop = 8): string {
  const pct = (x: number) => (Number.isNaN(x) ? '' : `${(x * 100).toFixed(1)}%`);
  const lines = [
    `sampled ${s.totalMs.toFixed(0)} ms, of which idle ${s.idleMs.toFixed(0)} ms; shares are of the non-idle time`,
    '',
    'top self time by function (← main callers):',
  ];
  s.functions.forEach((f, i) => {
    lines.push(`  ${f.ms.toFixed(1).padStart(8)} ms ${pct(f.share).padStart(6)}  ${f.name}  ${f.where}`);
    if (i < callersOfTop && f.name !== '(idle)') {
      for (const c of f.callers) lines.push(`${' '.repeat(22)}← ${c.name} ${c.where} (${c.ms.toFixed(1)} ms)`);
    }
  });
  lines.push('', 'self time by file:');
  for (const f of s.files) lines.push(`  ${f.ms.toFixed(1).padStart(8)} ms ${pct(f.share).padStart(6)}  ${f.file}`);
  return lines.join('\n');
}
