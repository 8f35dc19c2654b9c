import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { format } from 'node:util';
import { hookDecision, hookHeaders, type HookResult } from '../core/relay/hook-results.js';
import type { HookOutcome, Interception, OwnMessage, ScriptHooks } from './interception.js';

/** A script that can't be used, for the user in one line. */
export class ScriptError extends Error {}

type Hook = (arg: unknown, ctx: ScriptContext) => unknown;

/** A script's module, loaded: the hooks it exports (null where it has none). */
export interface Script {
  file: string;
  onHandshake: Hook | null;
  onMessage: Hook | null;
}

/** What a hook's second argument offers: acting on connections, and saying something. */
export interface ScriptContext {
  /** A new message toward `to` (a string is a text message, a Buffer a binary one); resolves once written, rejects with why not. */
  inject(conn: number, to: 'client' | 'server', payload: string | Uint8Array): Promise<void>;
  /** Closes a connection on purpose (a close frame with `code` and `reason` to each side); resolves once the frames are written. */
  close(conn: number, code?: number, reason?: string): Promise<void>;
  /** A line for the user: on stderr, or in the UI's notice. */
  log(...args: unknown[]): void;
}

export interface ScriptHostOptions {
  /** How long an asynchronous hook may take before its message (or request) goes on as it came. */
  timeoutMs: number;
  /** Where ctx.log's lines go (made terminal-safe there). */
  log: (line: string) => void;
}

/**
 * Loads the ES module at `file` (relative to the current directory) and finds its hooks:
 * `onHandshake` and `onMessage`, as named exports (or on a CommonJS module's exports).
 */
export async function loadScript(file: string): Promise<Script> {
  if (/\.[cm]?tsx?$/.test(file)) {
    throw new ScriptError(`${file} is TypeScript: compile it to JavaScript first, e.g. \`npx -p typescript tsc --module nodenext --target es2022 hooks.mts\` writes hooks.mjs`);
  }
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(path.resolve(file)).href) as Record<string, unknown>;
  } catch (err) {
    throw new ScriptError(`cannot load the script ${file}: ${firstLine(err)}`);
  }
  const fallback = typeof module.default === 'object' && module.default !== null ? module.default as Record<string, unknown> : {};
  const hook = (name: string): Hook | null => {
    const value = module[name] ?? fallback[name];
    if (value === undefined) return null;
    if (typeof value !== 'function') throw new ScriptError(`the script ${file} exports ${name}, but as a ${typeof value}, not a function`);
    return value as Hook;
  };
  const script = { file, onHandshake: hook('onHandshake'), onMessage: hook('onMessage') };
  if (!script.onHandshake && !script.onMessage) throw new ScriptError(`the script ${file} exports neither onHandshake nor onMessage`);
  return script;
}

/**
 * The script's hooks as the interception calls them. A hook that throws, rejects or answers
 * something unusable leaves its message (or request) as it came, `by: "script"` with the error;
 * one that takes longer than `timeoutMs` the same, `by: "proxy"` with `timeout`: wspeek decided.
 * Its `ctx` acts through `interception`, as the script (`by: "script"`).
 */
export function scriptHooks(script: Script, interception: Interception, options: ScriptHostOptions): ScriptHooks {
  const ctx: ScriptContext = Object.freeze({
    inject(conn: number, to: 'client' | 'server', payload: string | Uint8Array): Promise<void> {
      if (to !== 'client' && to !== 'server') return settled(`ctx.inject: to is ${JSON.stringify(to)}; expected "client" or "server"`);
      const message: OwnMessage | null = typeof payload === 'string' ? { opcode: 1, payload: Buffer.from(payload, 'utf8') }
        : payload instanceof Uint8Array ? { opcode: 2, payload } : null;
      if (!message) return settled('ctx.inject: the payload is neither a string nor a Buffer');
      return settled(interception.inject(conn, to, message, 'script'));
    },
    close(conn: number, code = 1000, reason = ''): Promise<void> {
      return settled(interception.close(conn, code, String(reason), 'script'));
    },
    log(...args: unknown[]): void {
      options.log(format(...args));
    },
  });
  const { onHandshake, onMessage } = script;
  const deadlines = new Deadlines(options.timeoutMs);
  return {
    handshake: onHandshake && (async (req) => {
      const given = { ...req, headers: req.headers.map(([n, v]) => [n, v]) };
      const returned = call(onHandshake, given, ctx);
      if (!returned.ok) return returned;
      const answered = isThenable(returned.value) ? await timed(returned.value, deadlines) : returned;
      return answered.ok ? byScript(hookHeaders(answered.value, given.headers, req.headers)) : answered;
    }),
    message: onMessage && ((msg) => {
      const returned = call(onMessage, msg, ctx);
      if (!returned.ok) return returned;
      if (!isThenable(returned.value)) return byScript(hookDecision(returned.value));
      return timed(returned.value, deadlines).then((o) => (o.ok ? byScript(hookDecision(o.value)) : o));
    }),
  };
}

/** Calls a hook; what it threw is the script's error. */
function call(hook: Hook, arg: unknown, ctx: ScriptContext): HookOutcome<unknown> {
  try {
    return { ok: true, value: hook(arg, ctx) };
  } catch (err) {
    return { ok: false, error: errorText(err), by: 'script' };
  }
}

/**
 * What a hook's promise settles to, or `timeout` (decided by wspeek) once `deadlines` says it is
 * out of time.
 */
function timed(p: PromiseLike<unknown>, deadlines: Deadlines): Promise<HookOutcome<unknown>> {
  return new Promise((resolve) => {
    let done = false;
    const settle = (o: HookOutcome<unknown>) => {
      if (done) return;
      done = true;
      cancel();
      resolve(o);
    };
    const cancel = deadlines.add(() => settle(TIMEOUT));
    p.then((value) => settle({ ok: true, value }), (err: unknown) => settle({ ok: false, error: errorText(err), by: 'script' }));
  });
}

const TIMEOUT = { ok: false, error: 'timeout', by: 'proxy' } as const;

/**
 * Timeouts that all last `ms`, so they expire in the order they were set: one timer, for the
 * oldest, instead of one for each message a hook is thinking about. Hooks mostly answer in order,
 * so what they answered leaves the front of the queue at once.
 */
class Deadlines {
  private queue: Array<{ at: number; expire: (() => void) | null }> = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ms: number) {}

  /** `expire` runs once `ms` have passed, unless the returned function is called first. */
  add(expire: () => void): () => void {
    const entry: { at: number; expire: (() => void) | null } = { at: performance.now() + this.ms, expire };
    this.queue.push(entry);
    this.timer ??= setTimeout(() => this.expire(), this.ms);
    return () => {
      entry.expire = null;
      this.prune();
    };
  }

  private expire(): void {
    this.timer = null;
    const now = performance.now();
    for (let e = this.queue[this.head]; e && (!e.expire || e.at <= now); e = this.queue[this.head]) {
      this.head++;
      const expire = e.expire;
      e.expire = null;
      expire?.();
    }
    this.prune();
    const next = this.queue[this.head];
    if (next) this.timer = setTimeout(() => this.expire(), Math.max(1, next.at - now));
  }

  /** Lets go of the answered and expired entries at the front. */
  private prune(): void {
    while (this.head < this.queue.length && !this.queue[this.head]!.expire) this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

function byScript<T>(r: HookResult<T>): HookOutcome<T> {
  return r.ok ? r : { ...r, by: 'script' };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** A ctx call's promise: resolved, or rejected with `why`; never an unhandled rejection when the script ignores it. */
function settled(why: string | null): Promise<void> {
  const p = why === null ? Promise.resolve() : Promise.reject(new Error(why));
  p.catch(() => {});
  return p;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : format('%o', err);
}

function firstLine(err: unknown): string {
  return errorText(err).split('\n')[0]!;
}
