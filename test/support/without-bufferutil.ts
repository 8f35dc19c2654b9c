// Preloaded into the CLI (`node --import`) to test the JavaScript fallback: resolving `bufferutil`,
// or any file in it, fails as it does where the package is not installed.

import Module from 'node:module';

type ResolveFilename = (this: unknown, request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: ResolveFilename };
const resolveFilename = loader._resolveFilename;

loader._resolveFilename = function (request, ...rest) {
  if (request === 'bufferutil' || request.startsWith('bufferutil/')) {
    throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
  }
  return resolveFilename.call(this, request, ...rest);
};
