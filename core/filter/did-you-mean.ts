/** ` (did you mean 'x'?)` for the candidate closest to `word` within a small edit distance, or ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const s = closest(word, candidates);
  return s === null ? '' : ` (did you mean '${s}'?)`;
}

/** The closest candidate within a small edit distance (the first of equals), or null. */
function closest(word: string, candidates: Iterable<string>): string | null {
  if (word.length > 24) return null;
  const w = word.toLowerCase();
  const limit = w.length <= 3 ? 1 : 2;
  let best: string | null = null;
  let bestD = limit + 1;
  for (const c of candidates) {
    const d = editDistance(w, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** Optimal-string-alignment edit distance (short strings only). */
function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2: number[] = [];
  let prev: number[] = [];
  for (let j = 0; j <= n; j++) prev.push(j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const sub = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + sub);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}
