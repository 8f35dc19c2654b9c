/** An HTTP/1.1 request line: a method token, a target, the version (RFC 9112 §3). */
const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^ \r\n]+ HTTP\/1\.1\r\n/;
const UPGRADE_HEADER = /\r\nupgrade[ \t]*:/i;
/** Where a WebSocket opening handshake may begin in a stream joined mid-way (RFC 6455 §4.1: always GET). */
const GET_AT_LINE_START = /(?:^|\n)GET /g;
const HEAD_END = '\r\n\r\n';

/**
 * Where the client's first HTTP/1.1 upgrade request starts in `client` (a stream's first bytes, as
 * latin1): 0 when the stream opens with one; 'need-more' while the head that would say is
 * incomplete; null when the stream opens with anything else. With `search` (the capture joined the
 * connection mid-stream), the first GET request with an `Upgrade` header anywhere at a line start.
 */
export function upgradeRequestAt(client: Buffer, search: boolean): number | 'need-more' | null {
  const text = client.toString('latin1');
  if (!search) return upgradeAt(text, 0);
  for (const m of text.matchAll(GET_AT_LINE_START)) {
    const at = m.index + (m[0].startsWith('\n') ? 1 : 0);
    const r = upgradeAt(text, at);
    if (r !== null) return r;
  }
  return 'need-more';
}

function upgradeAt(text: string, at: number): number | 'need-more' | null {
  const end = text.indexOf(HEAD_END, at);
  if (end < 0) {
    const firstLine = text.indexOf('\r\n', at);
    // Until the request line is whole, only its shape so far can rule it out.
    if (firstLine < 0) return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+( [^ \r\n]*( [HTP/1.]*)?)?$/.test(text.slice(at, at + 8192)) ? 'need-more' : null;
    return REQUEST_LINE.test(text.slice(at, firstLine + 2)) ? 'need-more' : null;
  }
  const head = text.slice(at, end + 2);
  return REQUEST_LINE.test(head) && UPGRADE_HEADER.test(head) ? at : null;
}
