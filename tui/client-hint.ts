/**
 * What a reverse proxy's user should do first: point the client at wspeek instead of the server.
 * `listen` is the bound `host:port`, `target` the --target URL. The client speaks plain HTTP and
 * WebSocket to wspeek whatever the target's scheme; a path in --target is prepended by wspeek, so
 * the client leaves it out.
 */
export function pointClientAt(listen: string, target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return `point your client at ${listen} instead of ${target}`;
  }
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  return `point your client at ${web ? 'http' : 'ws'}://${listen}/ instead of ${url.href}`;
}
