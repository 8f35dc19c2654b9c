const SIZE_UNITS = new Map<string, number>([
  ['', 1],
  ['b', 1],
  ['k', 1024],
  ['kb', 1024],
  ['kib', 1024],
  ['m', 1024 * 1024],
  ['mb', 1024 * 1024],
  ['mib', 1024 * 1024],
]);

// Linear-time patterns (no nested quantifiers), applied to single values only.
const INT_RE = /^(?:0x([0-9a-f]+)|([0-9]+))$/i;
const SIZE_RE = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)([a-z]*)$/i;

/** A safe integer, decimal or 0x hex; with `sizes`, also a decimal with a size unit (1k = 1024). Null if it is neither. */
export function parseNumber(s: string, sizes: boolean): number | null {
  const m = INT_RE.exec(s);
  if (m) {
    const v = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
    return Number.isSafeInteger(v) ? v : null;
  }
  if (!sizes) return null;
  const z = SIZE_RE.exec(s);
  if (!z) return null;
  const unit = SIZE_UNITS.get(z[2]!.toLowerCase());
  if (unit === undefined) return null;
  const v = parseFloat(z[1]!) * unit;
  return Number.isFinite(v) ? v : null;
}
