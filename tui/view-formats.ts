/** A format a view can be saved in (`s`). */
export type ViewFormat = 'jsonl' | 'har';

/**
 * The formats wspeek writes a view in, as the save prompt offers them (Tab goes to the next). A new
 * one is a row here and its writer in the CLI (`cli/commands.ts`).
 */
export const VIEW_FORMATS: ReadonlyArray<{ id: ViewFormat; label: string; extension: string }> = [
  { id: 'jsonl', label: 'JSONL session log', extension: '.jsonl' },
  { id: 'har', label: 'HAR (Chrome DevTools, HTTP Toolkit, mitmproxy)', extension: '.har' },
];
