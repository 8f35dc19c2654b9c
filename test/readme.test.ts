import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFilter } from '../core/filter/filter.js';
import { FILTER_HELP, type HelpRow } from '../core/filter/filter-help.js';
import { loadScript } from '../proxy/script-host.js';
import { KEYS } from '../tui/help.js';

const README = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8').split('\n');

/** A help row as a README table row: each alternative in backticks, `|` escaped. */
function markdownRow([syntax, meaning]: HelpRow): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const code = syntax.split(/\s{2,}/).map((s) => `\`${escape(s)}\``).join(' ');
  return `| ${code} | ${escape(meaning)} |`;
}

/** The rows of the README table with this header line (not the header or the |---| line). */
function tableRows(header: string): string[] {
  const start = README.indexOf(header);
  assert.ok(start >= 0, `the README has a table headed ${header}`);
  assert.match(README[start + 1]!, /^\|(-+\|)+$/);
  const rows: string[] = [];
  for (let i = start + 2; README[i]?.startsWith('|'); i++) rows.push(README[i]!);
  return rows;
}

/** The README's lines from a heading to the next heading. */
function section(heading: string): string[] {
  const start = README.indexOf(heading);
  assert.ok(start >= 0, `the README has ${heading}`);
  const end = README.findIndex((l, i) => i > start && l.startsWith('#'));
  return README.slice(start, end < 0 ? undefined : end);
}

function assertTable(header: string, rows: readonly HelpRow[], what: string): void {
  const expected = rows.map(markdownRow);
  assert.deepEqual(tableRows(header), expected, `the README's ${what} table is the code's; it should read:\n${header}\n${expected.join('\n')}\n`);
}

test("the README's filter table is FILTER_HELP, row for row", () => {
  assertTable('| expression | matches |', FILTER_HELP, 'filter');
  assert.ok(section('### Filter syntax').includes('| expression | matches |'), 'under "Filter syntax"');
});

test("the README's keys table is the UI's KEYS, row for row", () => {
  assertTable('| keys | action |', KEYS, 'keys');
  assert.ok(section('## The terminal UI').includes('| keys | action |'), 'under "The terminal UI"');
});

test("the README's filter examples parse", () => {
  const examples = section('### Filter syntax')
    .join('\n')
    .split('\n\n')
    .filter((p) => p.startsWith('Examples:'))
    .flatMap((p) => [...p.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  assert.ok(examples.length >= 3, `examples found: ${examples.join(' | ')}`);
  for (const source of examples) {
    const r = parseFilter(source);
    assert.ok(r.ok, `${source}: ${r.ok ? '' : r.error}`);
  }
});

test("the README's example hooks.mjs loads and does what its comments say", async () => {
  const lines = section('### Scripting');
  const start = lines.indexOf('```js');
  const end = lines.indexOf('```', start + 1);
  assert.ok(start >= 0 && end > start, 'the Scripting section has a js block');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-readme-'));
  try {
    const file = path.join(dir, 'hooks.mjs');
    fs.writeFileSync(file, lines.slice(start + 1, end).join('\n'));
    const script = await loadScript(file);
    const calls: unknown[][] = [];
    const ctx = {
      inject: async (...args: unknown[]) => void calls.push(['inject', ...args]),
      close: async (...args: unknown[]) => void calls.push(['close', ...args]),
      log: () => {},
    };
    const req = { conn: 1, method: 'GET', target: '/', url: 'ws://localhost:3000/', headers: [['Host', 'localhost:3000']] };
    await script.onHandshake!(req, ctx);
    assert.deepEqual(req.headers, [['Host', 'localhost:3000'], ['Authorization', 'Bearer dev-token']]);
    const msg = (m: object) => ({ conn: 1, seq: 1, from: 'client', kind: 'text', data: Buffer.alloc(0), length: 0, url: req.url, ...m });
    assert.equal(await script.onMessage!(msg({ text: '{"debug":false}' }), ctx), '{"debug":true}');
    assert.equal(await script.onMessage!(msg({ from: 'server', text: '{"debug":false}' }), ctx), undefined);
    assert.deepEqual(await script.onMessage!(msg({ kind: 'binary', length: 70_000 }), ctx), { drop: true });
    assert.equal(await script.onMessage!(msg({ text: 'who is there?' }), ctx), undefined);
    assert.deepEqual(await script.onMessage!(msg({ text: 'bye' }), ctx), { drop: true });
    assert.deepEqual(calls, [['inject', 1, 'client', 'the script'], ['close', 1, 4000, 'closed by the script']]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
