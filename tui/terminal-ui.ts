import blessed from 'blessed';
import type { ConnectionRecord } from '../core/log/records.js';
import type { RecordListener } from '../core/store/session-store.js';
import type { AppModel, Pane } from './app-model.js';
import { DrawPacer, type DrawCause } from './draw-pacer.js';
import { visible } from './sanitize.js';
import { screenLayout, type Rect } from './screen-layout.js';
import type { Line, Style } from './styled-text.js';

/** Rates and ages change with time alone: redraw at least this often. */
const TICK_MS = 1000;

const TAGS: Record<Style, string> = {
  plain: '',
  dim: '{gray-fg}',
  client: '{green-fg}',
  server: '{cyan-fg}',
  bad: '{red-fg}{bold}',
  heading: '{yellow-fg}{bold}',
  key: '{magenta-fg}',
  match: '{black-fg}{yellow-bg}',
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
  /** Writes the records of a view the user saved (`s`) as a session log; returns where, or throws why not. */
  saveView: (records: ConnectionRecord[]) => string;
  now: () => number;
}

export function startTerminalUi(model: AppModel, options: TerminalUiOptions): TerminalUi {
  const { onQuit, now } = options;
  // Draw box and line characters as UTF-8, not through the VT100 alternate charset, which
  // some terminals (and tmux captures) show as letters.
  process.env.NCURSES_NO_UTF8_ACS ??= '1';
  const screen = blessed.screen({ smartCSR: true, fullUnicode: true, title: 'wspeek', warnings: false, autoPadding: false });
  const box = (label: string) => blessed.box({ parent: screen, label: ` ${label} `, border: { type: 'line' }, tags: true, wrap: false, style: { border: { fg: 'gray' }, label: { fg: 'yellow' } } });
  const connections = box('Connections');
  const messages = box('Messages');
  const detail = box('Detail');
  const filterBar = blessed.box({ parent: screen, height: 1, tags: true, wrap: false });
  const statusBar = blessed.box({ parent: screen, height: 1, tags: true, wrap: false, style: { bg: 'blue', fg: 'white' } });
  const help = blessed.box({ parent: screen, label: ' Help ', border: { type: 'line' }, tags: true, wrap: false, hidden: true, top: 'center', left: 'center', width: '90%', height: '90%', style: { border: { fg: 'yellow' } } });
  const panes: Record<Pane, blessed.Widgets.BoxElement> = { connections, messages, detail };

  const pacer = new DrawPacer();
  let scheduled: NodeJS.Timeout | null = null;
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
    layout();
    const inner = (b: blessed.Widgets.BoxElement) => ({ w: Math.max(0, Number(b.width) - 2), h: Math.max(0, Number(b.height) - 2) });
    const c = inner(connections);
    connections.setContent(render(model.connectionLines(c.h, c.w, t)));
    const m = inner(messages);
    messages.setContent(render(model.messageLines(m.h, m.w)));
    const d = inner(detail);
    detail.setContent(render(model.detailLines(d.h, d.w)));
    for (const [name, b] of Object.entries(panes) as Array<[Pane, blessed.Widgets.BoxElement]>) {
      b.style.border.fg = model.focus === name ? 'yellow' : 'gray';
      b.setLabel(` ${model.paneTitle(name)} `);
    }
    const cols = Number(screen.width);
    filterBar.setContent(render([model.filterBar(cols)]));
    statusBar.setContent(render([model.statusBar(cols, t)]));
    if (model.showHelp) {
      help.setContent(render(model.helpLines()));
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

  function saveView(): void {
    const records = model.viewRecords();
    try {
      const file = options.saveView(records);
      model.notice = `saved ${model.messages.length} messages (${records.length} records) to ${file}`;
    } catch (err) {
      model.notice = `could not save the view: ${(err as Error).message}`;
    }
  }

  screen.on('keypress', (ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg | undefined) => {
    // blessed reports one press of Enter twice, as 'enter' and then 'return': the model gets it once.
    if (key?.full === 'return') return;
    const action = model.key(ch, key?.full ?? ch ?? '');
    if (action === 'quit') void quit();
    else {
      if (action === 'save') saveView();
      schedule('input');
    }
  });

  screen.enableMouse();
  screen.on('mouse', (data: blessed.Widgets.Events.IMouseEventArg) => {
    for (const [name, b] of Object.entries(panes) as Array<[Pane, blessed.Widgets.BoxElement]>) {
      const top = Number(b.atop);
      const left = Number(b.aleft);
      if (data.x < left || data.x >= left + Number(b.width) || data.y < top || data.y >= top + Number(b.height)) continue;
      const action = data.action as string; // blessed's typings leave out the wheel actions
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

/** Lines to blessed content: each piece made visible, escaped, and wrapped in its style's tags. */
export function render(lines: Line[]): string {
  return lines.map((line) => line.map((s) => {
    const text = blessed.escape(visible(s.text));
    const tag = TAGS[s.style];
    return tag ? `${tag}${text}{/}` : text;
  }).join('')).join('\n');
}
