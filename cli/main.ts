#!/usr/bin/env node
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_MAX_PAYLOAD } from '../core/websocket/connection-decoder.js';
import { useNativeMask } from '../core/websocket/unmask.js';
import { loadNativeMask } from '../proxy/native-mask.js';
import { parseCount, parseListen, parseSocks, parseSocksAuth, parseTarget, parseWhole } from './arguments.js';
import { runCa, runDemo, runHelpFilter, runOpen, runProxy, UsageError } from './commands.js';
import { limitHeapGrowth, scavengeOnMainThread } from './heap-limits.js';

const defaultCaDir = path.join(os.homedir(), '.wspeek');

limitHeapGrowth();
scavengeOnMainThread();
useNativeMask(loadNativeMask());

// A closed pipe (`wspeek --json | head`) ends the output, not with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

const viewOptions = {
  tui: { type: 'boolean', default: true, describe: 'terminal UI; --no-tui prints one line per message on stdout' },
  json: { type: 'boolean', default: false, describe: 'JSONL records on stdout (implies --no-tui)' },
  filter: { alias: 'f', type: 'string', describe: 'view filter for the UI and stdout (never limits --save)' },
  keep: { type: 'string', default: 100_000, describe: 'messages the UI keeps in memory (the oldest drop; --save keeps all); 64k, 1m', coerce: parseCount('--keep', 1) },
  protocol: { type: 'string', array: true, default: [] as string[], describe: "read connections as this application protocol (or raw); 'FILTER=NAME' for the connections a host:, url: or conn: filter selects" },
  proto: { type: 'string', describe: 'a .proto file: Protobuf connections read by field name (without --protocol, every connection is read as Protobuf)' },
  'proto-type': { type: 'string', array: true, default: [] as string[], describe: 'with --proto: the message type, or client=TYPE and server=TYPE (without it: the wire view, and P in the UI)' },
} as const;

const captureOptions = {
  ...viewOptions,
  listen: { alias: 'l', type: 'string', default: '127.0.0.1:8080', describe: '[HOST:]PORT to listen on; port 0 = any free port', coerce: parseListen },
  save: { alias: 'w', type: 'string', describe: 'write the session log (JSONL) to FILE while capturing' },
  'save-har': { type: 'string', describe: 'write a HAR file (Chrome DevTools, HTTP Toolkit, mitmproxy read it) when the capture ends' },
  'max-payload': { type: 'string', default: DEFAULT_MAX_PAYLOAD, describe: 'payload bytes kept per message (lengths stay exact); 64k, 1m', coerce: parseCount('--max-payload', 0) },
  'ca-dir': { type: 'string', default: defaultCaDir, describe: 'CA for TLS interception' },
  insecure: { type: 'boolean', default: false, describe: "don't verify the upstream's certificate" },
} as const;

/** Acting on the traffic from a script, or holding messages in the UI: `wspeek [proxy]` only. */
const actOptions = {
  script: { type: 'string', describe: 'ES module whose onHandshake and onMessage hooks act on the traffic (README: Scripting)' },
  'script-timeout': { type: 'string', default: 5000, describe: 'milliseconds a hook may take; after that its message goes on unchanged', coerce: parseWhole('--script-timeout', 1) },
  intercept: { type: 'string', describe: 'filter: with --script, the messages onMessage sees; else, in the UI, the messages held for you' },
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
      .options({ ...captureOptions, ...actOptions })
      .option('target', { alias: 't', type: 'string', describe: 'reverse mode: ws://, wss://, http:// or https:// URL of the server', coerce: parseTarget })
      .option('allow', { type: 'string', array: true, default: [] as string[], describe: 'serve only clients in these CIDRs (forward mode on a non-loopback address defaults to the local subnets)' })
      .option('socks', { type: 'string', describe: 'forward mode: a SOCKS5 listener too, on [HOST:]PORT; port 0 = any free port', coerce: parseSocks })
      .option('socks-auth', { type: 'string', describe: 'USER:PASS the SOCKS5 listener requires (RFC 1929; split at the first colon)', coerce: parseSocksAuth })
      .option('pass', { type: 'string', array: true, default: [] as string[], describe: 'forward mode: relay TLS to hosts matching this glob (*.apple.com: subdomains) or /regex/ untouched, by CONNECT host or SNI (repeatable)' })
      .option('pass-rejected', { type: 'boolean', default: false, describe: "forward mode: once a host's client rejects wspeek's certificate, pass that host through for the rest of the run" })
      .option('keylog', { type: 'string', describe: "append every TLS session's secrets (toward clients and upstreams) to FILE in the NSS key log format, for Wireshark; created 0600" })
      .option('client-cert', { type: 'string', array: true, default: [] as string[], describe: 'PEM FILE with a certificate and its key, offered to TLS upstreams that ask for one; HOST=FILE for one host (repeatable)' }),
    (a) => runProxy({ ...a, target: a.target, maxPayload: a.maxPayload, keep: a.keep, caDir: a.caDir, listen: a.listen, scriptTimeout: a.scriptTimeout, socks: a.socks, socksAuth: a.socksAuth }))
    .command('open <file>', 'view a saved session log, a HAR file or a packet capture', (y) => y
      .options(viewOptions)
      .option('har', { type: 'string', describe: 'convert: write the session (as --filter selects) to a new HAR file, show nothing' })
      .option('keylog', { type: 'string', describe: 'a packet capture\'s TLS: decrypt it with the secrets in FILE (NSS key log format: SSLKEYLOGFILE, Node\'s keylog event)' })
      .positional('file', { type: 'string', demandOption: true, describe: 'a session log written by --save or --json, a HAR file, or a pcap/pcapng capture' }),
    (a) => runOpen({ file: a.file, keylog: a.keylog, tui: a.tui, json: a.json, filter: a.filter, keep: a.keep, protocol: a.protocol, proto: a.proto, protoType: a.protoType, har: a.har }))
    .command('replay <file>', 'connect again and send the client\'s recorded messages; compare what the server answers', (y) => y
      .positional('file', { type: 'string', demandOption: true, describe: 'a recording: a session log, a HAR file or a packet capture' })
      .options({
        conn: { type: 'number', array: true, default: [] as number[], describe: "the recording's connection numbers (default: every WebSocket connection, in turn)" },
        target: { alias: 't', type: 'string', describe: 'connect here instead (ws, wss, http, https); without a path, the recorded path and query' },
        speed: { type: 'string', default: '1', describe: "1 (the recorded timing), 2 (twice as fast), or max: each message once the server's recorded before it have come (5 s at most)" },
        save: { alias: 'w', type: 'string', describe: 'write the new session log (JSONL) to FILE (never overwrites a file)' },
        json: { type: 'boolean', default: false, describe: 'one JSON object with the comparison on stdout' },
        parallel: { type: 'boolean', default: false, describe: 'replay the connections at once, not in turn' },
      }),
    async (a) => {
      process.exitCode = await (await import('./replay.js')).runReplay({ file: a.file, conn: a.conn, target: a.target, speed: a.speed, save: a.save, json: a.json, parallel: a.parallel });
    })
    .command('demo', 'embedded echo server and scripted client behind the proxy', (y) => y
      .options({ ...captureOptions, listen: { ...captureOptions.listen, default: '127.0.0.1:0' } }),
    (a) => runDemo({ ...a, target: undefined, allow: [], keylog: undefined, clientCert: [], maxPayload: a.maxPayload, keep: a.keep, caDir: a.caDir, listen: a.listen }))
    .command('ca', 'print the CA certificate for TLS interception', (y) => y
      .option('ca-dir', captureOptions['ca-dir'])
      .option('android', { type: 'boolean', default: false, describe: "print instead its file name in Android's system store (<subject_hash_old>.0) and the adb commands that install it there (emulators, rooted devices)" }),
    (a) => runCa({ caDir: a.caDir, android: a.android }))
    .command('help <topic>', 'more help on a topic: filter (the filter syntax)', (y) => y
      .positional('topic', { type: 'string', demandOption: true }),
    (a) => {
      if (a.topic !== 'filter') throw new UsageError(`no help on ${JSON.stringify(a.topic)}; the topic is filter (wspeek help filter), and --help shows the rest`);
      runHelpFilter();
    })
    .example('$0 -t ws://localhost:3000', 'reverse proxy in front of a dev server: point the client at ws://127.0.0.1:8080/')
    .example('$0 -t http://localhost:3000 -w session.jsonl --no-tui', 'a page and its WebSocket; save the session, print a line per message')
    .example('$0 --listen 0.0.0.0:8080', 'forward proxy for a phone (set it as the HTTP proxy; trust the CA from http://wspeek.ca/)')
    .example("$0 open session.jsonl -f 'server text'", 'a saved session, only the text the server sent')
    .example('$0 replay session.jsonl --conn 2 --target ws://localhost:4000', 'connection 2 again, against another server; exit 1 if it answers differently')
    .example('$0 open devtools.har --har chat.har -f url:/chat', 'a HAR from Chrome DevTools, its /chat connections to a new HAR')
    .example('$0 demo', 'an echo server and a scripted client behind the proxy')
    .epilog('Filters (--filter, / and F in the UI): wspeek help filter. Keys in the UI: press ?.')
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

main().catch((err: unknown) => {
  if (err instanceof UsageError) fail(err.message);
  process.stderr.write(`wspeek: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
