import { decodeUtf8 } from '../core/websocket/utf8.js';
import { hexDump, parseHexDump } from './hex-dump.js';

/** A payload as the editor gets it: a text message's text as it is, anything else as a hex dump. */
export interface EditorDocument {
  /** `text`: the file is the text (behind `header`, if any); `hex`: a hex dump behind comment lines. */
  as: 'text' | 'hex';
  /** The file's bytes. */
  content: Buffer;
  /** For the file's name, so the editor picks a mode. */
  extension: '.txt' | '.json';
  /** The lines wspeek put above the payload, which it takes off again when the file still starts with them. */
  header: string;
  /** The payload before editing: a file that gives it back unchanged is not an edit. */
  original: Buffer;
}

/** What came back from the editor: the new payload (and whether it differs), or why not, with the document to edit again. */
export type EditResult = { ok: true; payload: Buffer; changed: boolean } | { ok: false; error: string; again: EditorDocument };

/**
 * The document for editing `payload`, a message of `kind` described by `about` (`text message 4 of
 * #1, client → server`). Text (valid UTF-8) is the file itself, byte for byte; binary (and text
 * that is not UTF-8) is a hex dump under a few comment lines that say how to edit it.
 */
export function editorDocument(payload: Buffer, kind: 'text' | 'binary', about: string): EditorDocument {
  const text = kind === 'text' ? decodeUtf8(payload) : null;
  if (text !== null) return { as: 'text', content: payload, extension: isJsonShaped(text) ? '.json' : '.txt', header: '', original: payload };
  const header = hexHeader(about, null);
  return { as: 'hex', content: Buffer.from(header + dumpOf(payload), 'utf8'), extension: '.txt', header, original: payload };
}

/**
 * Reads back the file the user edited from `doc`. Text: the file's bytes, less wspeek's header if
 * it is still there, less one trailing newline when the original had none (editors add one); it must
 * be UTF-8. Hex: the bytes of the dump. A file that can't be read back gives the error and a
 * document to edit again, which says what went wrong at its top.
 */
export function readEdited(doc: EditorDocument, file: Buffer, about: string): EditResult {
  if (doc.as === 'hex') {
    const text = file.toString('utf8');
    const parsed = parseHexDump(text);
    if (parsed.ok) return { ok: true, payload: parsed.bytes, changed: !parsed.bytes.equals(doc.original) };
    const header = hexHeader(about, parsed.error);
    const body = text.startsWith(doc.header) ? text.slice(doc.header.length) : text;
    return { ok: false, error: parsed.error, again: { ...doc, content: Buffer.from(header + body, 'utf8'), header } };
  }
  let body = file;
  const header = Buffer.from(doc.header, 'utf8');
  if (header.length > 0 && body.subarray(0, header.length).equals(header)) body = body.subarray(header.length);
  body = withoutAddedNewline(body, doc.original);
  if (decodeUtf8(body) === null) {
    const error = 'the edited text is not valid UTF-8, which a text message must be';
    const again = `# wspeek: ${error}; nothing was sent.\n# wspeek takes these three lines off again: edit the text below them.\n# ----\n`;
    return { ok: false, error, again: { ...doc, content: Buffer.concat([Buffer.from(again, 'utf8'), body]), header: again } };
  }
  return { ok: true, payload: body, changed: !body.equals(doc.original) };
}

/** `edited` less one trailing newline (LF or CRLF) when `original` did not end in one: the one an editor adds on saving. */
export function withoutAddedNewline(edited: Buffer, original: Buffer): Buffer {
  const endsInNewline = (b: Buffer) => b.length > 0 && b[b.length - 1] === 0x0a;
  if (!endsInNewline(edited) || endsInNewline(original)) return edited;
  const crlf = edited.length > 1 && edited[edited.length - 2] === 0x0d;
  return edited.subarray(0, edited.length - (crlf ? 2 : 1));
}

function hexHeader(about: string, error: string | null): string {
  return [
    ...(error ? [`# ✗ ${error}: nothing was sent; correct it, or leave the editor with an error (vi: :cq) to cancel`] : []),
    `# wspeek: ${about.replace(/\n/g, ' ')}, as a hex dump.`,
    '# Edit the bytes (two hex digits each, anywhere on a line): the offsets and the |…| column are ignored, as is every line starting with #.',
    '',
  ].join('\n');
}

function dumpOf(payload: Buffer): string {
  const digits = Math.max(8, (payload.length - 1).toString(16).length);
  return payload.length === 0 ? '' : `${hexDump(payload, Infinity, 16, digits).join('\n')}\n`;
}

/** A JSON object or array: the editor may as well know. */
function isJsonShaped(text: string): boolean {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
