#!/usr/bin/env node
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_MAX_PAYLOAD } from '../core/websocket/connection-decoder.js';
import { useNativeMask } from '../core/websocket/unmask.js';
import { loadNativeMask } from '../proxy/native-mask.js';
import { parseListen, parseTarget } from './arguments.js';
import { runCa, runDemo, runOpen, runProxy, UsageError } from './commands.js';
import { limitHeapGrowth } from './heap-limits.js';

const defaultCaDir = path.join(os.homedir(), '.wspeek');

limitHeapGrowth();
useNativeMask(loadNativeMask());

// A closed pipe (`wspeek --json | head`) ends the output, not with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

const viewOptions = {
  tui: { type: 'boolean', default: true, describe: 'terminal UI; --no-tui prints one line per message on stdout' },
  json: { type: 'boolean', default: false, describe: 'JSONL records on stdout (implies --no-tui)' },
  filter: { alias: 'f', type: 'string', describe: 'view filter for the UI and stdout (never limits --save)' },
  keep: { type: 'number', default: 100_000, describe: 'messages the UI keeps in memory (the oldest drop; --save keeps all)' },
} as const;

const captureOptions = {
  ...viewOptions,
  listen: { alias: 'l', type: 'string', default: '127.0.0.1:8080', describe: '[HOST:]PORT to listen on; port 0 = any free port', coerce: parseListen },
  save: { alias: 'w', type: 'string', describe: 'write the session log (JSONL) to FILE while capturing' },
  'max-payload': { type: 'number', default: DEFAULT_MAX_PAYLOAD, describe: 'payload bytes kept per message (lengths stay exact)' },
  'ca-dir': { type: 'string', default: defaultCaDir, describe: 'CA for TLS interception' },
  insecure: { type: 'boolean', default: false, describe: "don't verify the upstream's certificate" },
} as const;

function fail(message: string): never {
  process.stderr.write(`wspeek: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('wspeek')
    .usage('wspeek — see every WebSocket frame between a client and a server')
    .command(['proxy', '$0'], 'live proxy: reverse with --target, else a forward HTTP proxy', (y) => y
      .options(captureOptions)
      .option('target', { alias: 't', type: 'string', describe: 'reverse mode: ws://, wss://, http:// or https:// URL of the server', coerce: parseTarget })
      .option('allow', { type: 'string', array: true, default: [] as string[], describe: 'serve only clients in these CIDRs (forward mode on a non-loopback address defaults to the local subnets)' }),
    (a) => runProxy({ ...a, target: a.target, maxPayload: checkCount('--max-payload', a.maxPayload, 0), keep: checkCount('--keep', a.keep, 1), caDir: a.caDir, listen: a.listen }))
    .command('open <file>', 'view a saved session log', (y) => y
      .options(viewOptions)
      .positional('file', { type: 'string', demandOption: true, describe: 'a session log written by --save or --json' }),
    (a) => runOpen({ file: a.file, tui: a.tui, json: a.json, filter: a.filter, keep: checkCount('--keep', a.keep, 1) }))
    .command('demo', 'embedded echo server and scripted client behind the proxy', (y) => y
      .options({ ...captureOptions, listen: { ...captureOptions.listen, default: '127.0.0.1:0' } }),
    (a) => runDemo({ ...a, target: undefined, allow: [], maxPayload: checkCount('--max-payload', a.maxPayload, 0), keep: checkCount('--keep', a.keep, 1), caDir: a.caDir, listen: a.listen }))
    .command('ca', 'print the CA certificate for TLS interception', (y) => y
      .option('ca-dir', captureOptions['ca-dir']),
    (a) => runCa({ caDir: a.caDir }))
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError) && !msg) throw err; // a fault, not a usage error
      fail(msg ?? err?.message ?? 'invalid arguments');
    })
    .parseAsync();
}

function checkCount(flag: string, n: number, min: number): number {
  if (!Number.isInteger(n) || n < min) fail(`${flag} wants a whole number of at least ${min}; got ${n}`);
  return n;
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) fail(err.message);
  process.stderr.write(`wspeek: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
