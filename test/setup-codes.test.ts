import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'uqr';
import { CA_PAGE_URL, qrLines, setupCodeLines } from '../tui/setup-codes.js';

const codes = { proxy: '192.168.100.200:65535', caPage: CA_PAGE_URL };

/** The modules the lines draw, light = true: a cell is the module above and the one below. */
function modules(lines: string[]): boolean[][] {
  const rows: boolean[][] = [];
  for (const line of lines) {
    const cells = [...line];
    rows.push(cells.map((c) => c === '█' || c === '▀'));
    rows.push(cells.map((c) => c === '█' || c === '▄'));
  }
  return rows;
}

const hasZbar = spawnSync('zbarimg', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * What zbarimg (ZBar) reads from the lines drawn as a terminal shows them: light modules in the
 * foreground, 4 pixels each, on the terminal's dark background (8 modules of it around the code).
 */
function scan(lines: string[]): string {
  const light = modules(lines);
  const margin = 8;
  const scale = 4;
  const w = (light[0]!.length + 2 * margin) * scale;
  const h = (light.length + 2 * margin) * scale;
  const rows: string[] = [];
  for (let y = 0; y < h; y++) {
    const my = Math.floor(y / scale) - margin;
    let row = '';
    for (let x = 0; x < w; x++) {
      const mx = Math.floor(x / scale) - margin;
      row += light[my]?.[mx] ? '0' : '1'; // PBM: 1 is black
    }
    rows.push(row);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-qr-'));
  try {
    const file = path.join(dir, 'code.pbm');
    fs.writeFileSync(file, `P1\n${w} ${h}\n${rows.join('\n')}\n`);
    const r = spawnSync('zbarimg', ['--quiet', '--raw', file], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, `zbarimg: ${r.stderr}`);
    return r.stdout.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the drawn code is the encoder’s, module for module, inside a light quiet zone of 2', () => {
  for (const text of [codes.proxy, codes.caPage, '10.0.0.1:8080']) {
    const { data, size } = encode(text, { ecc: 'L', border: 2 });
    const drawn = modules(qrLines(text)).slice(0, size);
    assert.equal(drawn.length, size);
    for (let y = 0; y < size; y++) assert.deepEqual(drawn[y], data[y]!.map((dark) => !dark), `${text}: row ${y}`);
    assert.ok(drawn[0]!.every(Boolean) && drawn[1]!.every(Boolean), 'the top two rows are quiet zone');
  }
});

test('the lines hold only ▀ ▄ █ and spaces: nothing a terminal reads as a control', () => {
  for (const text of [codes.proxy, codes.caPage]) {
    for (const line of qrLines(text)) assert.match(line, /^[▀▄█ ]+$/);
  }
  const side = setupCodeLines(codes, 80, 24);
  assert.ok('lines' in side);
  for (const line of side.lines) assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f]/);
});

test('ZBar reads the proxy address and the CA page URL from the codes as drawn', { skip: hasZbar ? false : 'zbarimg (zbar-tools) is not installed: the codes are not scanned' }, () => {
  assert.equal(scan(qrLines(codes.proxy)), codes.proxy);
  assert.equal(scan(qrLines(codes.caPage)), CA_PAGE_URL);
  assert.equal(scan(qrLines('[fd00::2]:8080')), '[fd00::2]:8080');
});

test('in 80×24 the codes stand side by side under their captions, within the width', () => {
  const text = setupCodeLines(codes, 80, 24);
  assert.ok('lines' in text);
  assert.ok(text.lines.length <= 24);
  assert.ok(text.lines.every((l) => [...l].length <= 80));
  assert.match(text.lines[0]!, /^proxy 192\.168\.100\.200:65535 +CA page http:\/\/wspeek\.ca\/$/);
  const left = qrLines(codes.proxy);
  const right = qrLines(codes.caPage);
  assert.equal(text.lines.length, 1 + Math.max(left.length, right.length));
  assert.ok(text.lines[1]!.startsWith(left[0]!) && text.lines[1]!.endsWith(right[0]!));
});

test('too narrow for both side by side, they stand one above the other', () => {
  const left = qrLines(codes.proxy);
  const right = qrLines(codes.caPage);
  const text = setupCodeLines(codes, 40, 60);
  assert.ok('lines' in text);
  assert.deepEqual(text.lines, [`proxy ${codes.proxy}`, ...left, '', `CA page ${codes.caPage}`, ...right]);
  assert.ok(text.lines.every((l) => [...l].length <= 40));
});

test('too small for either layout, it says what room they need and gives the address and URL as text', () => {
  const text = setupCodeLines(codes, 40, 20);
  assert.ok('tooSmall' in text);
  assert.match(text.tooSmall, /^too small for the QR codes: they need \d+×\d+ or \d+×\d+ cells, this is 40×20\. Proxy 192\.168\.100\.200:65535, CA page http:\/\/wspeek\.ca\/$/);
});

test('a SOCKS5 listener\'s code says so in its caption and in the too-small sentence', () => {
  const codes = { proxy: '192.168.1.20:1080', kind: 'socks5' as const, caPage: 'http://wspeek.ca/' };
  const fit = setupCodeLines(codes, 200, 60);
  assert.ok('lines' in fit && fit.lines[0]!.startsWith('SOCKS5 proxy 192.168.1.20:1080'), JSON.stringify(fit).slice(0, 200));
  const small = setupCodeLines(codes, 10, 5);
  assert.ok('tooSmall' in small && small.tooSmall.includes('SOCKS5 proxy 192.168.1.20:1080'));
});
