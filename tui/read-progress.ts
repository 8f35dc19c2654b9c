import { size } from './format.js';

/** A reading shorter than this says nothing of its progress: small files open without a line. */
export const QUIET_MS = 1000;
/** On a terminal, the progress line is redrawn at most this often. */
export const TERMINAL_EVERY_MS = 250;
/** Elsewhere (a pipe, a file, a CI log), a line each time the reading passes another tenth of the file. */
const STEPS = 10;

/** How far a reading has come, in words: `reading 45.2 MiB of 200.0 MiB (22%), 61.3 MiB/s`. */
export function readProgress(read: number, total: number, elapsedMs: number): string {
  const percent = total > 0 ? Math.floor((read / total) * 100) : 100;
  const rate = elapsedMs > 0 ? size(Math.round((read / elapsedMs) * 1000)) : '–';
  return `reading ${size(read)} of ${size(total)} (${percent}%), ${rate}/s`;
}

/**
 * When a progress line is due (sans-IO: the caller gives the time). Nothing in the first
 * QUIET_MS; then, on a terminal (one line redrawn with `\r`), at most every TERMINAL_EVERY_MS;
 * elsewhere, once per tenth of the file passed.
 */
export class ProgressPacer {
  /** A line has been shown: on a terminal, the reading's end closes it with a newline. */
  shown = false;
  private lastMs = -Infinity;
  private lastStep = 0;

  constructor(private readonly terminal: boolean) {}

  /** Whether to show the progress of `read` bytes of `total`, `elapsedMs` into the reading. */
  due(read: number, total: number, elapsedMs: number): boolean {
    if (elapsedMs < QUIET_MS) return false;
    if (this.terminal) {
      if (elapsedMs - this.lastMs < TERMINAL_EVERY_MS) return false;
    } else {
      const step = total > 0 ? Math.floor((read / total) * STEPS) : STEPS;
      if (step <= this.lastStep) return false;
      this.lastStep = step;
    }
    this.lastMs = elapsedMs;
    this.shown = true;
    return true;
  }
}
