/** The host[:port] of a URL (userinfo dropped), or '' when it has none. */
export function hostOf(url: string): string {
  const scheme = url.indexOf('://');
  let start = scheme >= 0 ? scheme + 3 : url.startsWith('//') ? 2 : 0;
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  if (end > start) {
    const at = url.lastIndexOf('@', end - 1);
    if (at >= start) start = at + 1;
  }
  return url.slice(start, end);
}
