/** How a piece of text is drawn; the screen maps each style to colours. */
export type Style = 'plain' | 'dim' | 'client' | 'server' | 'bad' | 'heading' | 'key' | 'match' | 'warn' | 'selected' | 'selected-unfocused' | ConnStyle;

/** The colours that tell connections apart at a glance. */
export const CONN_STYLES = ['conn0', 'conn1', 'conn2', 'conn3', 'conn4', 'conn5'] as const;
export type ConnStyle = (typeof CONN_STYLES)[number];

/** The colour of a connection's `#id`, wherever it is drawn. */
export function connStyle(conn: number): ConnStyle {
  return CONN_STYLES[conn % CONN_STYLES.length]!;
}

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
