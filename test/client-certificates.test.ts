import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import type { LogRecord } from '../core/log/records.js';
import { openCapture, type Capture } from '../proxy/capture.js';
import { ClientCertificateError, loadClientCertificates } from '../proxy/tls/client-certificates.js';
import { finished, listeningPort, startCli, useCliSandbox } from './support/cli-process.js';
import { captureOptions, echoOnce } from './support/live-capture.js';
import { mtlsCa, type Issued } from './support/mtls-certificates.js';
import { closeServer, connectTunnel, HOST, listen } from './support/raw-peers.js';
import { waitUntil, within } from './support/wait.js';

const sandbox = useCliSandbox('client-cert');
const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-client-cert-'));
after(() => fs.rmSync(tempRoot, { recursive: true, force: true }));

const ca = mtlsCa('client-cert test CA');
const alice = ca.client('alice');
const bob = ca.client('bob');
/** Signed by a CA the upstream does not trust. */
const stranger = mtlsCa('another CA').client('stranger');

let fileCount = 0;
/** Writes `text` to a new file (mode 0600 unless told) and returns its path. */
function pemFile(text: string, mode = 0o600): string {
  const file = path.join(tempRoot, `cert-${fileCount++}.pem`);
  fs.writeFileSync(file, text);
  fs.chmodSync(file, mode);
  return file;
}
const both = (issued: Issued) => `${issued.cert}${issued.key}`;

test('a bare FILE is offered to every host; HOST=FILE only to that host, matched case-insensitively, and before the bare FILE', () => {
  const every = pemFile(both(alice));
  const named = pemFile(both(bob));
  const certs = loadClientCertificates([every, `Broker.Example=${named}`, `[::1]=${named}`]);
  assert.equal(certs.forHost('elsewhere.example')?.file, every);
  assert.equal(certs.forHost('broker.example')?.file, named);
  assert.equal(certs.forHost('BROKER.EXAMPLE')?.file, named);
  assert.equal(certs.forHost('::1')?.file, named);
  assert.equal(certs.forHost('sub.broker.example')?.file, every, 'no subdomain matching');
  assert.equal(certs.forHost('broker.example')?.cert.includes(bob.cert.trim()), true);
  assert.equal(loadClientCertificates([`broker.example=${named}`]).forHost('other.example'), null);
});

test('the key may come before the certificate, and the chain\'s other certificates are kept after the first', () => {
  const file = pemFile(`${alice.key}${alice.cert}${ca.cert}`);
  const got = loadClientCertificates([file]).forHost('x')!;
  assert.equal(got.key.trim(), alice.key.trim());
  assert.equal(got.cert, `${alice.cert.trim()}\n${ca.cert.trim()}`);
});

test('files that cannot be used are ClientCertificateErrors that say why', () => {
  const cases: Array<[string[], RegExp]> = [
    [[path.join(tempRoot, 'missing.pem')], /cannot read .*missing\.pem: no such file/],
    [[pemFile(alice.cert)], /holds no PEM private key/],
    [[pemFile(alice.key)], /holds no PEM certificate/],
    [[pemFile(`${alice.cert}${alice.key}${bob.key}`)], /holds 2 PEM private keys/],
    [[pemFile(`${alice.cert}${bob.key}`)], /does not belong to its first certificate/],
    [[pemFile(`${alice.cert}-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n`)], /is encrypted/],
    [[pemFile(`${alice.cert}-----BEGIN PRIVATE KEY-----\nnot base64 DER\n-----END PRIVATE KEY-----\n`)], /cert-\d+\.pem: /],
    [[pemFile(both(alice)), pemFile(both(bob))], /two files for every host/],
    [[`a.example=${pemFile(both(alice))}`, `A.example=${pemFile(both(bob))}`], /a\.example is given twice/],
  ];
  for (const [values, message] of cases) {
    assert.throws(() => loadClientCertificates(values), (err: unknown) => err instanceof ClientCertificateError && message.test(err.message), String(message));
  }
});

test('a key file its group or others may read is loaded with a warning naming its mode; a 0600 one without', () => {
  const loose = pemFile(both(alice), 0o640);
  const loaded = loadClientCertificates([loose]);
  assert.equal(loaded.forHost('x')?.file, loose);
  assert.deepEqual(loaded.warnings, [`--client-cert ${loose} has mode 0640: others may read its private key; chmod 600 it`]);
  assert.deepEqual(loadClientCertificates([pemFile(both(alice))]).warnings, []);
});

/** A wss:// echo server (and https for plain GETs) that requires a client certificate signed by `ca`, and the names it saw. */
async function mutualTlsEcho(maxVersion: tls.SecureVersion = 'TLSv1.3') {
  const server = https.createServer({ ...ca.server(HOST), ca: ca.cert, requestCert: true, rejectUnauthorized: true, maxVersion }, (req, res) => {
    res.end(`hello ${(req.socket as tls.TLSSocket).getPeerCertificate().subject.CN}`);
  });
  const peers: string[] = [];
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    peers.push((req.socket as tls.TLSSocket).getPeerCertificate().subject.CN as string);
    ws.on('message', (d, binary) => ws.send(d, { binary }));
  });
  const port = await listen(server);
  return { server, port, peers };
}


/** Runs `body` against a reverse capture of a mutual-TLS upstream; returns the records it wrote. */
async function throughReverse(
  clientCert: string[], body: (address: string, upstream: Awaited<ReturnType<typeof mutualTlsEcho>>, records: LogRecord[]) => Promise<void>, maxVersion?: tls.SecureVersion,
): Promise<LogRecord[]> {
  const upstream = await mutualTlsEcho(maxVersion);
  const records: LogRecord[] = [];
  let capture: Capture | undefined;
  try {
    const clientCertificates = clientCert.length > 0 ? loadClientCertificates(clientCert) : null;
    capture = await openCapture(captureOptions(path.join(tempRoot, 'ca'), { target: new URL(`wss://${HOST}:${upstream.port}`), clientCertificates }));
    capture.start([({ record }) => records.push(record)]);
    await body(capture.proxy.address, upstream, records);
    await capture.stop();
    capture = undefined;
    return records;
  } finally {
    await capture?.stop();
    await closeServer(upstream.server);
  }
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`reverse mode with --client-cert to a ${version} upstream that requires one: the upgrade succeeds and messages flow both ways`, async () => {
    const records = await throughReverse([pemFile(both(alice))], async (address, upstream) => {
      assert.equal(await echoOnce(new WebSocket(`ws://${address}/chat`), 'mutual'), 'mutual');
      assert.deepEqual(upstream.peers, ['alice']);
    }, version);
    const handshake = records.find((r) => r.type === 'handshake');
    assert.equal(handshake?.type === 'handshake' && handshake.upgraded, true);
    assert.deepEqual(records.filter((r) => r.type === 'message' && r.kind === 'text').map((r) => r.type === 'message' && r.from), ['client', 'server']);
  });
}

test('plain https requests forwarded to the upstream offer the client certificate too', async () => {
  await throughReverse([pemFile(both(alice))], async (address) => {
    const body = await within(fetch(`http://${address}/page`).then((r) => r.text()), 'https GET');
    assert.equal(body, 'hello alice');
  });
});

test('per host: HOST=FILE for the upstream wins over the bare FILE, and a HOST=FILE for another host is not offered', async () => {
  await throughReverse([pemFile(both(alice)), `${HOST}=${pemFile(both(bob))}`], async (address, upstream) => {
    assert.equal(await echoOnce(new WebSocket(`ws://${address}/`), 'x'), 'x');
    assert.deepEqual(upstream.peers, ['bob']);
  });
  await throughReverse([`other.example=${pemFile(both(bob))}`, pemFile(both(alice))], async (address, upstream) => {
    assert.equal(await echoOnce(new WebSocket(`ws://${address}/`), 'y'), 'y');
    assert.deepEqual(upstream.peers, ['alice']);
  });
});

/** What a client sees when the upstream refuses wspeek's TLS connection: the status and body of its upgrade's answer. */
async function refusedUpgrade(address: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`ws://${address}/chat`);
  return within(new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the upgrade succeeded')));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  }), 'the refused upgrade');
}

test('without --client-cert the upstream refuses: the client gets a 502 saying the upstream requires a client certificate, and the records say so', async () => {
  let seen: { status: number; body: string } | undefined;
  const records = await throughReverse([], async (address, upstream) => {
    seen = await refusedUpgrade(address);
    assert.deepEqual(upstream.peers, []);
  });
  assert.equal(seen?.status, 502);
  assert.match(seen!.body, /requires a client certificate.*--client-cert/);
  assert.doesNotMatch(seen!.body, /--insecure/);
  const said = records.filter((r) => r.type === 'error' || r.type === 'http' || r.type === 'end').map((r) => JSON.stringify(r));
  assert.ok(said.some((line) => /requires a client certificate/.test(line)), said.join('\n'));
  assert.equal(records.some((r) => r.type === 'message'), false);
});

test('a Node upstream that distrusts the client certificate closes without an alert: the client sees the connection closed, the end record says the server ended it having sent nothing', async () => {
  let failure: Error | undefined;
  const records = await throughReverse([pemFile(both(stranger))], async (address, upstream, seen) => {
    const ws = new WebSocket(`ws://${address}/chat`);
    failure = await within(new Promise<Error>((resolve) => {
      ws.once('open', () => resolve(new Error('the upgrade succeeded')));
      ws.once('error', resolve);
    }), 'the closed upgrade');
    await waitUntil('the end record', () => seen.some((r) => r.type === 'end'));
    assert.deepEqual(upstream.peers, []);
  });
  assert.equal(failure?.message, 'socket hang up');
  const end = records.find((r) => r.type === 'end');
  assert.equal(end?.type === 'end' && end.by, 'server');
  assert.equal(end?.type === 'end' && end.bytes.server, 0);
  assert.equal(records.some((r) => r.type === 'handshake'), false);
});

/** `openssl s_server` requiring a client certificate signed by `ca` (it refuses with a TLS alert, as OpenSSL-based brokers do); null without openssl. */
async function opensslUpstream(maxVersion: '-tls1_2' | '-tls1_3'): Promise<{ port: number; stop: () => void } | null> {
  const certFile = pemFile(both(ca.server(HOST)));
  const caFile = pemFile(ca.cert);
  const child = spawn('openssl', ['s_server', '-accept', `${HOST}:0`, '-cert', certFile, '-CAfile', caFile, '-Verify', '1', '-verify_return_error', '-www', maxVersion], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await within(new Promise<number | null>((resolve) => {
    let out = '';
    child.once('error', () => resolve(null));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ACCEPT [^\s]*:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  }), 'openssl s_server listening');
  if (port === null) return null;
  return { port, stop: () => child.kill('SIGKILL') };
}

for (const [flag, offered, expected] of [
  ['-tls1_3', 'stranger', /^wspeek: upstream 127\.0\.0\.1:\d+ refused the client certificate in .*cert-\d+\.pem \(TLS alert 48 unknown_ca\)$/],
  ['-tls1_3', null, /^wspeek: upstream 127\.0\.0\.1:\d+ requires a client certificate \(TLS alert 116 certificate_required\); give one with --client-cert$/],
  ['-tls1_2', null, /^wspeek: upstream 127\.0\.0\.1:\d+ ended the TLS handshake \(TLS alert 40 handshake_failure\): it may require a client certificate \(--client-cert\)$/],
] as const) {
  test(`an OpenSSL upstream (${flag}) refusing ${offered ? 'an untrusted client certificate' : 'a connection without one'} with a TLS alert: the 502s (upgrade and plain GET) and their http records say which alert and what it means`, async (t) => {
    const upstream = await opensslUpstream(flag);
    if (!upstream) return t.skip('openssl is not installed');
    const records: LogRecord[] = [];
    let capture: Capture | undefined;
    try {
      const clientCertificates = offered ? loadClientCertificates([pemFile(both(stranger))]) : null;
      capture = await openCapture(captureOptions(path.join(tempRoot, 'ca'), { target: new URL(`wss://${HOST}:${upstream.port}`), clientCertificates }));
      capture.start([({ record }) => records.push(record)]);
      const seen = await refusedUpgrade(capture.proxy.address);
      assert.equal(seen.status, 502);
      assert.match(seen.body.trimEnd(), expected);
      assert.doesNotMatch(seen.body, /--insecure/);
      const page = await within(fetch(`http://${capture.proxy.address}/page`), 'the forwarded https GET');
      assert.equal(page.status, 502);
      assert.match((await page.text()).trimEnd(), expected);
      await capture.stop();
      capture = undefined;
      const answers = records.filter((r) => r.type === 'http');
      assert.equal(answers.length, 2, 'the upgrade and the GET');
      for (const http of answers) {
        assert.equal(http.type === 'http' && http.status, 502);
        assert.equal(http.type === 'http' && `wspeek: ${http.error}`.match(expected) !== null, true, JSON.stringify(http));
      }
    } finally {
      await capture?.stop();
      upstream.stop();
    }
  });
}

test('forward mode: the upstream side of an intercepted CONNECT tunnel offers the client certificate for the CONNECT host', async () => {
  const upstream = await mutualTlsEcho();
  let capture: Capture | undefined;
  try {
    capture = await openCapture(captureOptions(path.join(tempRoot, 'ca'), { mode: 'forward', clientCertificates: loadClientCertificates([`${HOST}=${pemFile(both(bob))}`]) }));
    capture.start([]);
    const raw = await connectTunnel(capture.proxy.port, `${HOST}:${upstream.port}`);
    const ws = new WebSocket(`wss://${HOST}:${upstream.port}/x`, {
      perMessageDeflate: false,
      createConnection: () => tls.connect({ socket: raw, host: HOST, rejectUnauthorized: false }),
    } as ClientOptions);
    assert.equal(await echoOnce(ws, 'tunnelled'), 'tunnelled');
    assert.deepEqual(upstream.peers, ['bob']);
  } finally {
    await capture?.stop();
    await closeServer(upstream.server);
  }
});

test('wspeek --client-cert: a missing file or one without a key pair is a usage error (exit 2); a loose key file starts with a warning', async () => {
  const missing = await finished(startCli(sandbox.home, ['--no-tui', '-l', `${HOST}:0`, '-t', `wss://${HOST}:9`, '--client-cert', path.join(sandbox.work, 'none.pem')]));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^wspeek: --client-cert: cannot read .*none\.pem/m);

  const certOnly = pemFile(alice.cert);
  const noKey = await finished(startCli(sandbox.home, ['--no-tui', '-l', `${HOST}:0`, '-t', `wss://${HOST}:9`, '--client-cert', `broker.example=${certOnly}`]));
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /^wspeek: --client-cert: .*holds no PEM private key/m);

  const loose = pemFile(both(alice), 0o644);
  const proc = startCli(sandbox.home, ['--no-tui', '-l', `${HOST}:0`, '-t', `wss://${HOST}:9`, '--client-cert', loose]);
  assert.ok((await listeningPort(proc)) > 0);
  assert.match(proc.output.stderr, /^wspeek: --client-cert .* has mode 0644: others may read its private key/m);
  proc.child.kill('SIGTERM');
  assert.equal((await finished(proc)).code, 0);
});
