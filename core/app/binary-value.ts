/** Bytes as an entry's `value` shows them when they are not shown as text: `{"base64":…}`. */
export interface Base64Value {
  base64: string;
}

/** `bytes` as `{"base64":…}`, read in place (a Uint8Array that is not a Buffer is not copied). */
export function base64Value(bytes: Uint8Array): Base64Value {
  return { base64: base64Of(bytes) };
}

/** `bytes` in base64, read in place (a Uint8Array that is not a Buffer is not copied). */
export function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
