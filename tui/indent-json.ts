const SPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * A JSON object or array indented by two spaces (as `JSON.stringify(value, null, 2)` lays it out),
 * ending in a newline, with every token as it was sent: numbers keep all their digits (parsing
 * would round integers past 2^53), strings keep their escapes, repeated keys stay. Null when the
 * text is not a JSON object or array.
 */
export function indentJson(text: string): string | null {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return null;
  try {
    JSON.parse(t);
  } catch {
    return null;
  }
  let out = '';
  let depth = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === '"') {
      let end = i + 1;
      while (t[end] !== '"') end += t[end] === '\\' ? 2 : 1;
      out += t.slice(i, end + 1);
      i = end;
    } else if (c === '{' || c === '[') {
      let next = i + 1;
      while (SPACE.has(t[next]!)) next++;
      if (t[next] === (c === '{' ? '}' : ']')) {
        out += c + t[next];
        i = next;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
    } else if (c === ',') out += `,${newline()}`;
    else if (c === ':') out += ': ';
    else if (!SPACE.has(c)) out += c;
  }
  return `${out}\n`;
}
