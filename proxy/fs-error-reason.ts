/**
 * What went wrong in a file system error, without what Node's message repeats around it: its code
 * and the call and path ("ENOENT: no such file or directory, open 'x'" → "no such file or directory").
 */
export function fsErrorReason(err: unknown): string {
  return (err as Error).message.replace(/^E[A-Z]+: /, '').replace(/, [a-z]+ '.*'$/s, '');
}
