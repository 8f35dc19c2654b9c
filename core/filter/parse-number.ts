/** A unit's factor as a fraction, so that µs divide exactly: value × multiply ÷ divide. */
type Unit = readonly [multiply: number, divide: number];

const SIZE_UNITS = new Map<string, Unit>([
  ['', [1, 1]],
  ['b', [1, 1]],
  ['k', [1024, 1]],
  ['kb', [1024, 1]],
  ['kib', [1024, 1]],
  ['m', [1024 * 1024, 1]],
  ['mb', [1024 * 1024, 1]],
  ['mib', [1024 * 1024, 1]],
]);

/** Duration units in milliseconds; a duration without one is in ms. µ may be the micro sign or the Greek letter. */
const DURATION_UNITS = new Map<string, Unit>([
  ['', [1, 1]],
  ['ms', [1, 1]],
  ['us', [1, 1000]],
  ['\u00b5s', [1, 1000]],
  ['\u03bcs', [1, 1000]],
  ['s', [1000, 1]],
]);

// Linear-time patterns (no nested quantifiers), applied to single values only.
const INT_RE = /^(?:0x([0-9a-f]+)|([0-9]+))$/i;
const UNIT_RE = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)([a-z\u00b5\u03bc]*)$/i;

/** A safe integer, decimal or 0x hex; with `sizes`, also a decimal with a size unit (1k = 1024). Null if it is neither. */
export function parseNumber(s: string, sizes: boolean): number | null {
  const m = INT_RE.exec(s);
  if (m) {
    const v = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
    return Number.isSafeInteger(v) ? v : null;
  }
  return sizes ? withUnit(s, SIZE_UNITS) : null;
}

/** A duration in milliseconds: a decimal that may end in us (or µs), ms (the default) or s. Null if it is not one. */
export function parseDuration(s: string): number | null {
  return withUnit(s, DURATION_UNITS);
}

/** A decimal times its unit's factor (any case), or null for an unknown unit or an infinite result. */
function withUnit(s: string, units: ReadonlyMap<string, Unit>): number | null {
  const z = UNIT_RE.exec(s);
  if (!z) return null;
  const unit = units.get(z[2]!.toLowerCase());
  if (unit === undefined) return null;
  const v = (parseFloat(z[1]!) * unit[0]) / unit[1];
  return Number.isFinite(v) ? v : null;
}
