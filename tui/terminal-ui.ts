import blessed from 'blessed';
import type { LogRecord } from '../core/log/records.js';
import type { RecordListener } from '../core/store/session-store.js';
import type { EditEffect, EditOutcome } from './acting.js';
import type { Action, AppModel, Effect, Pane, WriteEffect } from './app-model.js';
import { DrawPacer, type DrawCause } from './draw-pacer.js';
import { visible } from './sanitize.js';
import { screenLayout, type Rect } from './screen-layout.js';
import type { Line, Style } from './styled-text.js';
import type { ViewFormat } from './view-formats.js';

/** Rates and ages change with time alone: redraw at least this often. */
const TICK_MS = 1000;

/**
 * How the screen uses colour. `full`: 16 colours or more, grey is bright black. `basic`: 8
 * colours, where bright black is black: grey is the terminal's own text colour. `none`: NO_COLOR
 * (https://no-color.org/) or no colours at all: bold, underline and reverse only.
 */
export type ColourMode = 'full' | 'basic' | 'none';

const FULL_TAGS: Record<Style, string> = {
  plain: '',
  dim: '{gray-fg}',
  client: '{green-fg}',
  server: '{cyan-fg}',
  bad: '{red-fg}{bold}',
  heading: '{yellow-fg}{bold}',
  key: '{magenta-fg}',
  match: '{yellow-fg}{inverse}',
  warn: '{yellow-fg}',
  selected: '{inverse}',
  'selected-unfocused': '{underline}',
  conn0: '{light-blue-fg}',
  conn1: '{magenta-fg}',
  conn2: '{yellow-fg}',
  conn3: '{light-green-fg}',
  conn4: '{light-cyan-fg}',
  conn5: '{light-red-fg}',
};

/** Each style's blessed tags, per colour mode. No style sets a black foreground: on a dark theme it vanishes. */
export const STYLE_TAGS: Record<ColourMode, Record<Style, string>> = {
  full: FULL_TAGS,
  basic: { ...FULL_TAGS, dim: '' },
  none: {
    plain: '', dim: '', client: '', server: '', key: '',
    bad: '{bold}', heading: '{bold}', match: '{bold}', warn: '{bold}',
    selected: '{inverse}', 'selected-unfocused': '{underline}',
    conn0: '', conn1: '', conn2: '', conn3: '', conn4: '', conn5: '',
  },
};

/** What blessed's style objects take of ours. */
interface BoxLook {
  fg?: string;
  bg?: string;
  bold?: boolean;
  inverse?: boolean;
}

/** The boxes' styles: the focused pane's border and label stand out from the others'. */
type Chrome = Record<'border' | 'focusedBorder' | 'label' | 'focusedLabel' | 'status' | 'help', BoxLook>;

const FULL_CHROME: Chrome = {
  border: { fg: 'gray', bold: false }, focusedBorder: { fg: 'yellow', bold: false },
  label: { fg: 'yellow', inverse: false }, focusedLabel: { fg: 'yellow', inverse: false },
  status: { fg: 'white', bg: 'blue' }, help: { fg: 'yellow' },
};

const CHROME: Record<ColourMode, Chrome> = {
  full: FULL_CHROME,
  basic: { ...FULL_CHROME, border: { fg: 'default', bold: false } },
  none: {
    border: { bold: false }, focusedBorder: { bold: true },
    label: { inverse: false }, focusedLabel: { inverse: true },
    status: { inverse: true }, help: {},
  },
};

/**
 * How many colours the terminal shows, from what blessed read in terminfo and what the
 * environment says. blessed cannot parse the entries ncurses 6.1+ writes with 32-bit numbers
 * (tmux-256color, screen-256color, …) and falls back on its own 8-colour xterm entry, where grey
 * (colour 8) is drawn as black; a `256color` name or COLORTERM=truecolor says better. The Linux
 * console's entry says 8, but the kernel draws SGR 90–97 as its bright colours, and bright black
 * as dark grey.
 */
export function terminalColours(term: string, colorterm: string, terminfo: number): number {
  if (/256color|-direct\b/.test(term) || /^(truecolor|24bit)$/i.test(colorterm)) return Math.max(terminfo, 256);
  if (term === 'linux') return Math.max(terminfo, 16);
  return terminfo;
}

/** The colour mode for `colours` colours; NO_COLOR set and non-empty turns colour off. */
export function colourMode(noColor: string | undefined, colours: number): ColourMode {
  if (noColor) return 'none';
  return colours >= 16 ? 'full' : colours >= 8 ? 'basic' : 'none';
}

export interface TerminalUi {
  /** Subscribe this to the session store. */
  listener: RecordListener;
  /** Resolves after the user quit and `onQuit` finished, or after `close`. */
  done: Promise<void>;
  /** Gives the terminal back (the capture was stopped some other way, e.g. by a signal). */
  close(): void;
}

/**
 * Draws an AppModel with blessed. It only lays out, draws and forwards input: everything the
 * UI shows or decides comes from the model. Every piece of text is made visible (no control
 * characters) and escaped (no blessed markup) on its way to the terminal, whatever the model did.
 */
export interface TerminalUiOptions {
  /** Runs when the user quits (stops the capture); the screen closes after it. */
  onQuit: () => Promise<void>;
  /** Writes the records of a view the user saved (`s`) to a new file in the format; returns where, or throws why not. */
  saveView: (file: string, format: ViewFormat, records: LogRecord[]) => string;
  /** Writes a payload (`w`, `W`) to a new file; returns where, or throws why not. */
  writePayload: (file: string, bytes: Uint8Array) => string;
  /** The user's editor and the private temporary file it edits (`e`, `m`, `R`). */
  editor: EditorFiles;
  now: () => number;
}

/** The editor's part the CLI does: its command, and the file it edits. Each function throws why it failed. */
export interface EditorFiles {
  /** The editor as the user named it (`$VISUAL`, else `$EDITOR`, else vi), for messages. */
  command: string;
  /** How to start it on `path`: the program, its arguments and options for spawn. */
  run(path: string): { file: string; args: string[]; options: { windowsVerbatimArguments?: boolean } };
  /** Writes `content` to a new file only the user can read (0600), named to end in `extension`; returns its path. */
  create(content: Buffer, extension: string): string;
  read(path: string): Buffer;
  /** Removes the file, and whatever `create` made for it. */
  remove(path: string): void;
}

export function startTerminalUi(model: AppModel, options: TerminalUiOptions): TerminalUi {
  const { onQuit, now } = options;
  // Draw box and line characters as UTF-8, not through the VT100 alternate charset, which
  // some terminals (and tmux captures) show as letters.
  process.env.NCURSES_NO_UTF8_ACS ??= '1';
  const screen = withoutConsoleErrors(() => blessed.screen({ smartCSR: true, fullUnicode: true, title: 'wspeek', warnings: false, autoPadding: false }));
  // blessed draws every colour reduced to the count it holds: it must be the terminal's.
  const tput = screen.tput as unknown as { colors: number };
  tput.colors = terminalColours(process.env.TERM ?? '', process.env.COLORTERM ?? '', tput.colors);
  const mode = colourMode(process.env.NO_COLOR, tput.colors);
  const look = CHROME[mode];
  const box = (label: string) => blessed.box({ parent: screen, label: ` ${label} `, border: { type: 'line' }, tags: true, wrap: false, style: { border: { ...look.border }, label: { ...look.label } } });
  const connections = box('Connections');
  const messages = box('Messages');
  const detail = box('Detail');
  const filterBar = blessed.box({ parent: screen, height: 1, tags: true, wrap: false });
  const statusBar = blessed.box({ parent: screen, height: 1, tags: true, wrap: false, style: { ...look.status } });
  const help = blessed.box({ parent: screen, label: ' Help ', border: { type: 'line' }, tags: true, wrap: false, hidden: true, top: 'center', left: 'center', width: '90%', height: '90%', style: { border: { ...look.help } } });
  const panes: Record<Pane, blessed.Widgets.BoxElement> = { connections, messages, detail };

  const pacer = new DrawPacer();
  let scheduled: NodeJS.Timeout | null = null;
  /** The editor has the terminal: nothing is drawn until it gives it back. */
  let editing = false;
  let quitting = false;
  let closed = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  function layout(): void {
    const at = screenLayout(Number(screen.width), Number(screen.height));
    place(connections, at.connections);
    place(messages, at.messages);
    place(detail, at.detail);
    place(filterBar, at.filterBar);
    place(statusBar, at.statusBar);
  }

  function draw(): void {
    scheduled = null;
    if (quitting) return;
    const t = now();
    pacer.drawing(t);
    if (editing) return;
    layout();
    const inner = (b: blessed.Widgets.BoxElement) => ({ w: Math.max(0, Number(b.width) - 2), h: Math.max(0, Number(b.height) - 2) });
    const c = inner(connections);
    connections.setContent(render(model.connectionLines(c.h, c.w, t), mode));
    const m = inner(messages);
    messages.setContent(render(model.messageLines(m.h, m.w), mode));
    const d = inner(detail);
    detail.setContent(render(model.detailLines(d.h, d.w), mode));
    for (const [name, b] of Object.entries(panes) as Array<[Pane, blessed.Widgets.BoxElement]>) {
      const focused = model.focus === name;
      Object.assign(b.style.border, focused ? look.focusedBorder : look.border);
      Object.assign(b.style.label, focused ? look.focusedLabel : look.label);
      b.setLabel(` ${model.paneTitle(name)} `);
    }
    const cols = Number(screen.width);
    filterBar.setContent(render([model.filterBar(cols)], mode));
    statusBar.setContent(render([model.statusBar(cols, t)], mode));
    if (model.showHelp || model.showSetup) {
      const h = inner(help);
      help.setLabel(model.showHelp ? ' Help ' : ' Set a phone up ');
      help.setContent(render(model.showHelp ? model.helpLines(h.h, h.w) : model.setupLines(h.h, h.w), mode));
      help.show();
      help.setFront();
    } else help.hide();
    screen.render();
  }

  function schedule(cause: DrawCause): void {
    if (quitting) return;
    const wait = pacer.request(cause, now());
    if (wait === null) return;
    if (scheduled) clearTimeout(scheduled);
    scheduled = setTimeout(draw, wait);
  }

  async function quit(): Promise<void> {
    if (quitting) return;
    quitting = true;
    try {
      await onQuit();
    } finally {
      close();
    }
  }

  function close(): void {
    if (closed) return;
    closed = quitting = true;
    clearInterval(ticker);
    if (scheduled) clearTimeout(scheduled);
    screen.destroy();
    resolveDone();
  }

  /** Does what the model asked for: the terminal's part here, files through the CLI's writers. */
  function perform(effect: Effect): void {
    if (effect.kind === 'copy') screen.program.write(effect.sequence);
    else if (effect.kind === 'mouse') {
      if (effect.on) screen.program.enableMouse();
      else screen.program.disableMouse();
    } else if (effect.kind === 'write-payload') write(effect, () => options.writePayload(effect.file.name, effect.file.bytes));
    else if (effect.kind === 'edit') edit(effect);
    else write(effect, () => options.saveView(effect.path, effect.format, effect.records));
  }

  /** Quits, or does what the model asked for, and draws. */
  function handle(action: Action): void {
    if (action === 'quit') void quit();
    else {
      if (action !== 'none') perform(action);
      schedule('input');
    }
  }

  /**
   * The editor on a new private file with the document: blessed hands it the terminal (the normal
   * screen, the cursor shown, the keyboard in cooked mode, the mouse off) and takes it back once it
   * exits, drawing everything again. The file is removed whatever happened.
   */
  function edit(effect: EditEffect): void {
    const { editor } = options;
    let path: string;
    try {
      path = editor.create(effect.document.content, effect.document.extension);
    } catch (err) {
      handle(model.edited(effect, { error: `could not write the file to edit: ${(err as Error).message}` }));
      return;
    }
    editing = true;
    let ended = false;
    const end = (outcome: () => EditOutcome) => {
      if (ended) return;
      ended = true;
      editing = false;
      const result = outcome();
      try {
        editor.remove(path);
      } catch {
        // Already gone: nothing of it is left behind either way.
      }
      if (closed) return;
      handle(model.edited(effect, result));
    };
    const run = editor.run(path);
    const child = screen.spawn(run.file, run.args, { ...run.options, stdio: 'inherit' } as Parameters<typeof screen.spawn>[2]);
    child.on('error', (err) => end(() => ({ error: `could not run the editor (${editor.command}): ${err.message}` })));
    child.on('exit', (code, signal) => end(() => {
      if (code !== 0) return { error: `the editor (${editor.command}) exited with ${signal ?? `status ${code}`}` };
      try {
        return { file: editor.read(path) };
      } catch (err) {
        return { error: `could not read the edited file: ${(err as Error).message}` };
      }
    }));
  }

  function write(effect: WriteEffect, writer: () => string): void {
    try {
      model.wrote(effect, { path: writer() });
    } catch (err) {
      model.wrote(effect, { error: (err as Error).message });
    }
  }

  screen.on('keypress', (ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg | undefined) => {
    // blessed reports one press of Enter twice, as 'enter' and then 'return': the model gets it once.
    if (key?.full === 'return' || editing) return;
    handle(model.key(ch, key?.full ?? ch ?? ''));
  });

  screen.enableMouse();
  screen.on('mouse', (data: blessed.Widgets.Events.IMouseEventArg) => {
    const action = data.action as string; // blessed's typings leave out the wheel actions
    if (model.showSetup) return; // clicks go nowhere while the codes cover the panes
    if (model.showHelp) {
      // The help takes the wheel; clicks go nowhere while it covers the panes.
      if (action === 'wheelup' || action === 'wheeldown') {
        model.scrollHelp(action === 'wheelup' ? -3 : 3);
        schedule('input');
      }
      return;
    }
    for (const [name, b] of Object.entries(panes) as Array<[Pane, blessed.Widgets.BoxElement]>) {
      const top = Number(b.atop);
      const left = Number(b.aleft);
      if (data.x < left || data.x >= left + Number(b.width) || data.y < top || data.y >= top + Number(b.height)) continue;
      if (action === 'wheelup') model.scroll(name, -3);
      else if (action === 'wheeldown') model.scroll(name, 3);
      else if (action === 'mousedown') {
        // Rows start below the border (and, for messages, below the header line).
        const row = data.y - top - 1 - (name === 'messages' ? 1 : 0);
        if (row >= 0) model.click(name, row);
      } else continue;
      schedule('input');
      break;
    }
  });
  screen.on('resize', () => schedule('input'));
  const ticker = setInterval(() => schedule('traffic'), TICK_MS);

  draw();
  return {
    listener: (stored) => {
      model.add(stored);
      if (!pacer.pending) schedule('traffic');
    },
    done,
    close,
  };
}

function place(el: blessed.Widgets.BoxElement, at: Rect): void {
  el.top = at.top;
  el.left = at.left;
  el.width = at.width;
  el.height = at.height;
}

/** Lines to blessed content: each piece made visible, escaped, and wrapped in its style's tags for `mode`. */
export function render(lines: Line[], mode: ColourMode): string {
  const tags = STYLE_TAGS[mode];
  return lines.map((line) => line.map((s) => {
    const text = blessed.escape(visible(s.text));
    const tag = tags[s.style];
    return tag ? `${tag}${text}{/}` : text;
  }).join('')).join('\n');
}

/**
 * Runs `f` with console.error silenced. blessed can't read terminfo entries in ncurses' newer
 * format (screen-256color's, on current Debian): it prints each capability it fails to compile,
 * a dozen lines of its generated code, to stderr, then falls back to an entry of its own. Those
 * lines would be left on the terminal when the UI exits.
 */
function withoutConsoleErrors<T>(f: () => T): T {
  const error = console.error;
  console.error = () => {};
  try {
    return f();
  } finally {
    console.error = error;
  }
}
