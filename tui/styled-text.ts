/** How a piece of text is drawn; the screen maps each style to colours. */
export type Style = 'plain' | 'dim' | 'client' | 'server' | 'bad' | 'heading' | 'key' | 'match' | 'warn' | 'selected' | 'selected-unfocused';

/** A piece of a line. Text is already terminal-safe (see sanitize.ts); the screen escapes markup. */
export interface Segment {
  text: string;
  style: Style;
}

export type Line = Segment[];

export function seg(text: string, style: Style = 'plain'): Segment {
  return { text, style };
}

/** The plain text of a line, e.g. for tests and the headless output. */
export function lineText(line: Line): string {
  return line.map((s) => s.text).join('');
}
