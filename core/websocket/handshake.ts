import { createHash } from 'node:crypto';
import type { Extension, HttpRequestHead, HttpResponseHead, Side } from './events.js';
import { parseExtensionHeader } from './extension-header.js';
import { headerHasToken, headerValues } from './http-head.js';

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2). */
export function computeAccept(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

export interface HandshakeProblem {
  from: Side;
  rule: 'malformed-handshake' | 'bad-accept';
  detail: string;
}

export interface HandshakeAnalysis {
  upgraded: boolean;
  accept: 'valid' | 'invalid' | 'missing';
  protocol: string | null;
  extensions: Extension[];
  problems: HandshakeProblem[];
}

/** Checks a request/response pair against RFC 6455 §4 and reads what was agreed. */
export function analyzeHandshake(request: HttpRequestHead, response: HttpResponseHead): HandshakeAnalysis {
  const problems: HandshakeProblem[] = [];
  const client = (detail: string) => problems.push({ from: 'client', rule: 'malformed-handshake', detail });
  const server = (detail: string) => problems.push({ from: 'server', rule: 'malformed-handshake', detail });
  const rq = request.headers;
  const rs = response.headers;

  // RFC 6455 §4.1: what a client's opening handshake must carry.
  if (request.method !== 'GET') client(`method is ${request.method}, not GET`);
  if (request.version !== 'HTTP/1.1') client(`version is ${request.version}, not HTTP/1.1`);
  if (!headerHasToken(rq, 'Upgrade', 'websocket')) client('request has no "Upgrade: websocket"');
  if (!headerHasToken(rq, 'Connection', 'upgrade')) client('request has no "Connection: Upgrade"');
  const version = headerValues(rq, 'Sec-WebSocket-Version');
  if (version.length !== 1 || version[0] !== '13') client(`Sec-WebSocket-Version is ${version.length ? JSON.stringify(version.join(', ')) : 'missing'}, not 13`);
  const keys = headerValues(rq, 'Sec-WebSocket-Key');
  const key = keys.length === 1 ? keys[0]! : null;
  if (key === null) client(keys.length ? 'Sec-WebSocket-Key appears more than once' : 'Sec-WebSocket-Key is missing');
  else if (Buffer.from(key, 'base64').length !== 16 || !/^[A-Za-z0-9+/]{22}==$/.test(key)) client(`Sec-WebSocket-Key ${JSON.stringify(key)} is not 16 bytes in base64`);

  if (response.status !== 101) {
    return { upgraded: false, accept: 'missing', protocol: null, extensions: [], problems };
  }
  // A 101 to some other protocol (h2c, say): no WebSocket frames follow.
  const upgrade = headerValues(rs, 'Upgrade');
  if (upgrade.length > 0 && !headerHasToken(rs, 'Upgrade', 'websocket')) {
    server(`101 switches to ${JSON.stringify(upgrade.join(', '))}, not websocket`);
    return { upgraded: false, accept: 'missing', protocol: null, extensions: [], problems };
  }
  if (upgrade.length === 0) server('101 response has no "Upgrade: websocket"');
  if (!headerHasToken(rs, 'Connection', 'upgrade')) server('101 response has no "Connection: Upgrade"');

  const accepts = headerValues(rs, 'Sec-WebSocket-Accept');
  let accept: HandshakeAnalysis['accept'];
  if (accepts.length === 0) {
    accept = 'missing';
    problems.push({ from: 'server', rule: 'bad-accept', detail: 'Sec-WebSocket-Accept is missing' });
  } else if (key !== null && accepts.length === 1 && accepts[0] === computeAccept(key)) {
    accept = 'valid';
  } else {
    accept = 'invalid';
    const expected = key === null ? 'no key to check it against' : `expected ${computeAccept(key)}`;
    problems.push({ from: 'server', rule: 'bad-accept', detail: `Sec-WebSocket-Accept is ${JSON.stringify(accepts.join(', '))}, ${expected}` });
  }

  const chosen = headerValues(rs, 'Sec-WebSocket-Protocol');
  const protocol = chosen.length > 0 ? chosen.join(', ') : null;
  if (protocol !== null) {
    const offered = headerValues(rq, 'Sec-WebSocket-Protocol').flatMap((v) => v.split(',').map((p) => p.trim()));
    if (!offered.includes(protocol)) server(`server chose subprotocol ${JSON.stringify(protocol)}, which the client did not offer`);
  }

  const parsed = parseExtensionHeader(headerValues(rs, 'Sec-WebSocket-Extensions'));
  if (parsed.error) server(`Sec-WebSocket-Extensions: ${parsed.error}`);
  const offeredExtensions = parseExtensionHeader(headerValues(rq, 'Sec-WebSocket-Extensions')).extensions.map((e) => e.name);
  for (const ext of parsed.extensions) {
    if (!offeredExtensions.includes(ext.name)) server(`server agreed to extension ${ext.name}, which the client did not offer`);
  }
  return { upgraded: true, accept, protocol, extensions: parsed.extensions, problems };
}
