import { FILTER_HELP } from '../core/filter/filter-help.js';
import { seg, type Line } from './styled-text.js';

/** Every key the UI answers to, for the `?` overlay and the README. */
export const KEYS: ReadonlyArray<[keys: string, action: string]> = [
  ['↑ ↓  j k', 'move in the focused pane'],
  ['PgUp  PgDn', 'a page up / down'],
  ['g  G', 'first / last row (G turns follow on)'],
  ['Tab  Shift-Tab', 'focus the next / previous pane (connections, messages, detail)'],
  ['Enter', 'connections: show only that connection · messages: focus the detail'],
  ['/', 'filter the messages (Enter applies, Esc cancels; errors keep the last filter); in the detail pane: search its text, n / N next / previous match'],
  ['F', 'find: highlight matches without hiding rows; n / N next / previous match'],
  ['f', 'follow the newest message on / off'],
  ['p', "jump from a reply to its request, or from a request to its first reply (the application protocol's pairing)"],
  ['P', "read the selected binary message's direction as the next message type of --proto FILE, in the detail (after the last: none)"],
  ['space', 'pause the view (capture goes on) / resume'],
  ['t', 'time: absolute / since the connection opened'],
  ['c', 'clear the view (the saved log keeps everything)'],
  ['s', 'save the current (filtered) view: asks for a file name (Tab format, Enter saves, Esc cancels)'],
  ['y', 'copy the selected payload to the clipboard (OSC 52): text as text, anything else as base64'],
  ['w  W', 'write the selected payload to a new file: raw bytes / indented JSON'],
  ['M', 'mouse off (the terminal selects text) / on'],
  ['i', 'intercept: hold the data messages a filter matches until you decide (Enter sets it, empty turns it off, Esc cancels)'],
  ['a  A', 'forward the selected held message (as edited, if it was) / every held message'],
  ['d', 'drop the selected held message'],
  ['e', 'edit the selected held message in $VISUAL or $EDITOR (text as text, binary as a hex dump); it stays held until a'],
  ['m', "compose a message on the selected connection (or the selected message's): direction (Tab), text or binary (t b), then the payload in the editor"],
  ['r  R', 'send the selected message again, the same way / after editing a copy in the editor'],
  ['x  X', "close the selected connection (or the selected message's) on purpose: a close frame with the code and reason you type, to both sides / reset both sides"],
  ['o', "QR codes to set a phone up: the proxy's LAN address and the CA page (a forward proxy on a LAN address); any key closes them"],
  ['?', 'this help: ↑ ↓ PgUp PgDn j k g G scroll it; q, Esc or ? close it'],
  ['q  Ctrl-C', 'quit (the session log is flushed first); with messages held it asks: f forward them all, d drop them all, Esc stay'],
];

/** The help's last line, always in view: where the view is, how to scroll and close. */
export function helpFooter(first: number, last: number, total: number): string {
  return `${first}–${last} of ${total} · ↑ ↓ PgUp PgDn j k g G scroll · q Esc ? close`;
}

/** The width the descriptions keep at least: a key longer than the column this leaves gets a line of its own. */
const MIN_TEXT = 24;

/** The help's lines, none wider than `width`: long descriptions wrap under their own column. */
export function helpLines(width: number): Line[] {
  return [
    [seg('Keys', 'heading')],
    ...table(KEYS, width),
    [],
    [seg('Filter and find expressions', 'heading')],
    ...table(FILTER_HELP, width),
    [],
    ...wrapText('Mouse: click selects, the wheel scrolls.', width).map((t) => [seg(t, 'dim')]),
  ];
}

/** Rows of key and description: the keys in a column as wide as the longest (while the descriptions keep MIN_TEXT). */
function table(rows: ReadonlyArray<readonly [string, string]>, width: number): Line[] {
  const column = Math.max(0, Math.min(Math.max(...rows.map(([k]) => k.length)) + 2, width - MIN_TEXT));
  return rows.flatMap(([k, text]) => helpRow(k, text, column, width));
}

/**
 * One row: the key, then its description word-wrapped to the rest of the width, every line of it
 * starting at `column`. A key too long for the column gets lines of its own above.
 */
export function helpRow(key: string, text: string, column: number, width: number): Line[] {
  const indent = ' '.repeat(column);
  const lines = wrapText(text, width - column).map((t): Line => [seg(indent), seg(t)]);
  if (key.length + 2 <= column && lines.length > 0) {
    lines[0]![0] = seg(key.padEnd(column), 'key');
    return lines;
  }
  return [...wrapText(key, width).map((t): Line => [seg(t, 'key')]), ...lines];
}

/** Greedy word wrap to `width`, keeping the spaces between words on a line; a word longer than a line is cut. */
export function wrapText(text: string, width: number): string[] {
  width = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  for (const [, gap, word] of text.matchAll(/(\s*)(\S+)/g)) {
    if (line && line.length + gap!.length + word!.length <= width) {
      line += gap! + word!;
      continue;
    }
    if (line) lines.push(line);
    line = word!;
    while (line.length > width) {
      lines.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  if (line) lines.push(line);
  return lines;
}
