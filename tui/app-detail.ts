import { ANSWERED, isRequest, type AppEntry, type KeptAppEntry } from '../core/app/app-entry.js';
import { appLabel, appPreview } from './app-summary.js';
import { duration } from './format.js';
import { visible } from './sanitize.js';
import { seg, type Line } from './styled-text.js';

/** Lines of an entry's arguments or value the detail pane shows at most. */
const MAX_TREE_LINES = 400;

/**
 * The detail pane's account of what a message says in its application protocol: per entry, what
 * it is, what it answers (or whether it was answered) and how long that took, and its arguments or
 * value as an indented tree. `p` (in the UI) jumps between a request and its reply.
 */
export function appDetailLines(entries: readonly AppEntry[]): Line[] {
  const lines: Line[] = [[], [seg(appLabel(entries), 'heading')]];
  for (const e of entries) {
    lines.push([seg(appPreview([{ ...e, args: undefined, value: undefined }]), e.heartbeat ? 'dim' : 'plain')]);
    const facts = [
      e.operation !== undefined ? `a ${e.operation}` : '',
      e.namespace !== undefined ? `namespace ${e.namespace}` : '',
      e.heartbeat ? 'a keep-alive' : '',
      e.partial ? 'part of a unit a later message completes' : '',
    ].filter(Boolean).join(' · ');
    if (facts) lines.push([seg(visible(facts), 'dim')]);
    if (e.pair !== undefined) {
      lines.push([seg(`reply to message ${e.pair}${e.latencyMs !== undefined ? `, ${duration(e.latencyMs)} after it` : ''} (p jumps to it)`, 'key')]);
    } else if (isRequest(e)) {
      lines.push((e as KeptAppEntry)[ANSWERED] ? [seg('answered (p jumps to the reply)', 'key')] : [seg('no reply yet', 'warn')]);
    }
    if (e.count !== undefined) lines.push([seg(`ends the exchange: ${e.count} repl${e.count === 1 ? 'y' : 'ies'} before it${e.durationMs !== undefined ? `, ${duration(e.durationMs)} in all` : ''}`, 'dim')]);
    if (e.error !== undefined) lines.push([seg(visible(e.type === undefined ? `could not be read: ${e.error}` : e.error), 'bad')]);
    const tree = e.args !== undefined ? e.args : e.value;
    if (tree !== undefined) lines.push(...treeLines(tree));
  }
  return lines;
}

/** A value as indented JSON, terminal-safe, at most MAX_TREE_LINES lines. */
function treeLines(value: unknown): Line[] {
  const all = (JSON.stringify(value, null, 2) ?? String(value)).split('\n');
  const lines = all.slice(0, MAX_TREE_LINES).map((l): Line => [seg(visible(l))]);
  if (all.length > MAX_TREE_LINES) lines.push([seg(`… ${all.length - MAX_TREE_LINES} more lines`, 'dim')]);
  return lines;
}
