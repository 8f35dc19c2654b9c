import fs from 'node:fs';
import path from 'node:path';
import { HarExport, type HarDocument } from '../../core/capture/har-export.js';
import { importHar } from '../../core/capture/har-import.js';
import type { LogRecord } from '../../core/log/records.js';
import { writeNewFile } from './new-file.js';
import { NotASessionLog, type SessionLogFile } from './session-log.js';
import { fsErrorReason } from '../fs-error-reason.js';

/** A file that is not a HAR document, and why (`why`, without the file's name). */
export class NotAHarFile extends NotASessionLog {
  constructor(file: string, readonly why: string) {
    super(`${file} is not a HAR file: ${why}`);
  }
}

/** Who wrote a HAR file, for its `log.creator`. */
export interface HarCreator {
  name: string;
  version: string;
}

/**
 * Opens a HAR file (one JSON document, read whole) as a session: its records, and what could not
 * be read as `problems` (without a line: a HAR is not read by lines; the text says which entry). Throws
 * NotAHarFile when the file is not JSON or not a HAR document.
 */
export async function openHarFile(file: string): Promise<SessionLogFile> {
  const text = (await fs.promises.readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new NotAHarFile(file, `it is not JSON (${(err as Error).message})`);
  }
  const read = importHar(doc, path.basename(file));
  if ('notHar' in read) throw new NotAHarFile(file, read.notHar);
  return {
    async read(onRecord, pace) {
      for (let i = 0; i < read.records.length; i++) {
        onRecord(read.records[i]!);
        if ((i & 1023) === 1023) await pace?.();
      }
      return { records: read.records.length, problems: read.problems.map((error) => ({ error })), tornLastLine: false };
    },
  };
}

/** A HAR document as the file's text: indented, as Chrome and HTTP Toolkit write theirs. */
function harText(doc: HarDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Writes `records` as a new HAR file (never over an existing one): for a view saved from the UI
 * and for `wspeek open --har`. Returns `file`; throws a one-line Error that names it.
 */
export function writeHarFile(records: Iterable<LogRecord>, file: string, creator: HarCreator): string {
  const har = new HarExport(creator);
  for (const r of records) har.add(r);
  return writeNewFile(file, harText(har.document()));
}

/**
 * A HAR file written once, when the capture ends (`--save-har`): the name is taken (created
 * empty, never over an existing file) when the capture starts, so a name in use stops it then.
 * Records are added as they come; `closeSync` writes the document and may run at exit.
 */
export class HarFileWriter {
  private readonly har: HarExport;
  private fd: number | null;

  private constructor(readonly path: string, fd: number, creator: HarCreator) {
    this.fd = fd;
    this.har = new HarExport(creator);
  }

  /** Creates the file, empty; throws a one-line Error when it exists or can't be created. */
  static create(file: string, creator: HarCreator): HarFileWriter {
    try {
      return new HarFileWriter(file, fs.openSync(file, 'wx'), creator);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') throw new Error(`${file} already exists; wspeek never overwrites a file (choose another name or remove it)`);
      throw new Error(`cannot create ${file}: ${fsErrorReason(e)}`);
    }
  }

  add(r: LogRecord): void {
    if (this.fd !== null) this.har.add(r);
  }

  /** Writes the document of every record added, and closes the file; once. Returns the bytes written, or throws. */
  closeSync(): number {
    const fd = this.fd;
    if (fd === null) return 0;
    this.fd = null;
    try {
      const data = Buffer.from(harText(this.har.document()), 'utf8');
      fs.writeSync(fd, data, 0, data.length, 0);
      return data.length;
    } finally {
      fs.closeSync(fd);
    }
  }
}
