/** Input (keys, mouse, a resize) is drawn within this: about 30 frames a second. */
export const INPUT_FRAME_MS = 33;
/**
 * Under steady traffic, frames start at least this far apart: ten a second is still live to
 * the eye, and drawing then costs a third of what 30 a second did (at 30, blessed's diffing and
 * drawing were about a tenth of the UI's CPU in the benchmark's 64-byte message workload).
 */
export const TRAFFIC_FRAME_MS = 100;

export type DrawCause = 'input' | 'traffic';

/**
 * When the UI draws next. A pending frame is only ever brought forward: input waits at most
 * INPUT_FRAME_MS; new records wait until TRAFFIC_FRAME_MS after the last frame began (at least
 * INPUT_FRAME_MS, so a record after a quiet spell shows as fast as a key press would).
 */
export class DrawPacer {
  /** When the pending frame is due, or null when none is. */
  private due: number | null = null;
  private lastDraw = -Infinity;

  /** A frame is scheduled. New records never bring one forward, so they need not ask while one is. */
  get pending(): boolean {
    return this.due !== null;
  }

  /** Asks for a frame; returns the delay to wait from `now` if the pending frame must be (re)scheduled, else null. */
  request(cause: DrawCause, now: number): number | null {
    const wait = cause === 'input' ? INPUT_FRAME_MS : Math.max(INPUT_FRAME_MS, this.lastDraw + TRAFFIC_FRAME_MS - now);
    if (this.due !== null && this.due <= now + wait) return null;
    this.due = now + wait;
    return wait;
  }

  /** The frame is being drawn now. */
  drawing(now: number): void {
    this.due = null;
    this.lastDraw = now;
  }
}
