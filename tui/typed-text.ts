/** Text after an editing key (Backspace, Ctrl-U, a printable character); null for any other key. */
export function typedText(text: string, ch: string | undefined, name: string): string | null {
  if (name === 'backspace') return text.slice(0, -1);
  if (name === 'C-u') return '';
  if (ch && ch >= ' ' && ch !== '\x7f' && name !== 'tab') return text + ch;
  return null;
}
