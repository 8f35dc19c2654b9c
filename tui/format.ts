let cachedSecond = NaN;
let cachedPrefix = '';

/** Wall-clock time of day with milliseconds: `14:02:03.123`. The `HH:MM:SS` part is reused within a second. */
export function clockTime(ts: number): string {
  const second = Math.floor(ts / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedSecond = second;
    cachedPrefix = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  }
  return `${cachedPrefix}.${String(Math.floor(ts) - second * 1000).padStart(3, '0')}`;
}

/** The local date and time of day: `2024-01-15 09:30:00`. */
export function dateTime(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A duration in ms, short: `0.42ms`, `12ms`, `1.25s`, `3m05s`. */
export function duration(ms: number): string {
  if (ms < 0) return `-${duration(-ms)}`;
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const s = Math.round(ms / 1000);
  return s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** A byte count, short and 1024-based: `512 B`, `4.1 KiB`, `5.0 MiB`, `1.5 GiB`. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  // Move up a unit when one decimal would round to 1024.0.
  while (value >= 1023.95 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** An exact byte count, and its human size when that says more: `38 B`, `5,242,880 B (5.0 MiB)`. */
export function bytes(n: number): string {
  return n < 1024 ? `${count(n)} B` : `${count(n)} B (${size(n)})`;
}

/** A count with thousands separators: `58,331`. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Pads or cuts to exactly `width` characters. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return text.padEnd(width);
}

/** At most `width` characters, cut at the start with an ellipsis (the end of a path or file name stays). */
export function cutLeft(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : `…${text.slice(text.length - width + 1)}`;
}

/**
 * A URL in at most `width` characters. One that must be cut keeps its path over its host, and
 * what it keeps of the host starts at a label or the port: `…example.com:3000/api/v2/chat`,
 * `…:3000/api/v2/chat`; a path longer than the room loses the host and its own end.
 */
export function cutUrl(url: string, width: number): string {
  if (url.length <= width) return url;
  if (width <= 2) return '…'.repeat(Math.max(0, width));
  const scheme = url.indexOf('://');
  const slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
  const path = slash < 0 ? url.length : slash;
  if (url.length - path >= width) return `…${url.slice(path, path + width - 2)}…`;
  let from = url.length - width + 1;
  // Not in the middle of a host label: from the next dot (after it) or colon (at it), else from the path.
  while (from < path && url[from - 1] !== '.' && url[from] !== ':') from++;
  return `…${url.slice(from)}`;
}
