// The wspeek CLI as a child process, run with a temporary HOME so no test touches the real ~/.wspeek.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil, within } from './wait.js';

/** The project root: this file runs as dist/test/support/cli-process.js. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The built CLI's entry point. */
export const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
/** The default bound, in ms, on one run of the CLI. */
export const RUN_MS = 15_000;

/** How a CLI run ended, and everything it printed. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI: the child, its output so far, and its end. */
export interface CliProcess {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  done: Promise<CliRun>;
}

/** A test file's temporary HOME and work directory (set once its `before` hook has run). */
export interface CliSandbox {
  home: string;
  work: string;
}

const children = new Set<ChildProcess>();

/**
 * Registers hooks: before the file's tests, makes a temp HOME and work dir (named after `name`); after them,
 * kills any CLI still running, removes both, and asserts the CLI never created ~/.wspeek in that HOME.
 */
export function useCliSandbox(name: string): CliSandbox {
  const sandbox: CliSandbox = { home: '', work: '' };
  before(() => {
    sandbox.home = fs.mkdtempSync(path.join(os.tmpdir(), `wspeek-${name}-home-`));
    sandbox.work = fs.mkdtempSync(path.join(os.tmpdir(), `wspeek-${name}-work-`));
  });
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // No command run here may touch the default CA directory.
    const touched = fs.existsSync(path.join(sandbox.home, '.wspeek'));
    fs.rmSync(sandbox.home, { recursive: true, force: true });
    fs.rmSync(sandbox.work, { recursive: true, force: true });
    assert.equal(touched, false, '~/.wspeek was created');
  });
  return sandbox;
}

/** Spawns `node [nodeArgs] dist/cli/main.js args` from the project root with HOME set to `home` and NO_COLOR. */
export function startCli(home: string, args: string[], nodeArgs: string[] = []): CliProcess {
  const child = spawn(process.execPath, [...nodeArgs, MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, HOME: home, USERPROFILE: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output.stderr += d));
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, ...output });
    });
  });
  return { child, output, done };
}

/** Waits (bounded) for the CLI to exit; kills it if it is still running after that. */
export async function finished(proc: CliProcess, ms = RUN_MS, what = 'wspeek exits'): Promise<CliRun> {
  try {
    return await within(proc.done, what, ms);
  } finally {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  }
}

/** Waits (bounded) for "listening on 127.0.0.1:PORT" on stderr, or the exit; returns PORT (NaN when absent). */
export async function listeningPort(proc: CliProcess, ms = RUN_MS): Promise<number> {
  await waitUntil('"listening on" on stderr', () => /listening on 127\.0\.0\.1:\d+/.test(proc.output.stderr) || proc.child.exitCode !== null, ms);
  return Number(/listening on 127\.0\.0\.1:(\d+)/.exec(proc.output.stderr)?.[1]);
}
