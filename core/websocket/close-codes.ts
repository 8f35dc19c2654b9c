/** Names of the status codes of RFC 6455 §7.4.1 and the IANA registry. */
const CLOSE_CODE_NAMES: Record<number, string> = {
  1000: 'Normal Closure',
  1001: 'Going Away',
  1002: 'Protocol Error',
  1003: 'Unsupported Data',
  1004: 'Reserved',
  1005: 'No Status Received',
  1006: 'Abnormal Closure',
  1007: 'Invalid Frame Payload Data',
  1008: 'Policy Violation',
  1009: 'Message Too Big',
  1010: 'Mandatory Extension',
  1011: 'Internal Error',
  1012: 'Service Restart',
  1013: 'Try Again Later',
  1014: 'Bad Gateway',
  1015: 'TLS Handshake',
};

/**
 * Whether a status code may appear in a close frame (RFC 6455 §7.4):
 * 1000–1014 except 1004 (reserved) and 1005/1006 (never sent on the wire,
 * they stand for "no code" and "no close frame"), and 3000–4999 (libraries
 * and applications). 1015 is likewise never sent.
 */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** A human name for a close code: registered name, or the range it falls in. */
export function closeCodeName(code: number): string {
  const name = CLOSE_CODE_NAMES[code];
  if (name) return name;
  if (code >= 3000 && code <= 3999) return 'Registered (libraries, frameworks)';
  if (code >= 4000 && code <= 4999) return 'Private use';
  if (code >= 1000 && code <= 2999) return 'Reserved for the protocol';
  return 'Invalid';
}
