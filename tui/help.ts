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
  ['space', 'pause the view (capture goes on) / resume'],
  ['t', 'time: absolute / since the connection opened'],
  ['c', 'clear the view (the saved log keeps everything)'],
  ['s', 'save the current (filtered) view as JSONL'],
  ['?', 'this help'],
  ['q  Ctrl-C', 'quit (the session log is flushed first)'],
];

export function helpLines(): Line[] {
  const lines: Line[] = [[seg('Keys', 'heading')]];
  for (const [k, a] of KEYS) lines.push([seg(k.padEnd(18), 'key'), seg(a)]);
  lines.push([], [seg('Filter and find expressions', 'heading')]);
  for (const [syntax, meaning] of FILTER_HELP) lines.push([seg(syntax.padEnd(38), 'key'), seg(meaning)]);
  lines.push([], [seg('Mouse: click selects, the wheel scrolls. Any key closes this help.', 'dim')]);
  return lines;
}
