/**
 * Most bytes of clipboard text one OSC 52 sequence carries. tmux drops a sequence past 1 MiB
 * (its input buffer) and base64 makes the text a third longer: 512 KiB keeps well inside that.
 */
export const OSC52_MAX_BYTES = 512 * 1024;

/**
 * The OSC 52 sequence that puts `text` on the terminal's clipboard (selection `c`), ended by BEL.
 * The text travels base64-encoded, so nothing in it reaches the terminal as a control. It is not
 * wrapped in tmux's DCS passthrough: tmux with `set-clipboard on` reads the plain sequence, keeps it
 * as a paste buffer and sets the outer terminal's clipboard, also for a wspeek run over ssh from a
 * tmux pane; a passthrough needs `allow-passthrough on` (off by default since tmux 3.3) and
 * bypasses tmux's buffers.
 */
export function osc52(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`;
}
