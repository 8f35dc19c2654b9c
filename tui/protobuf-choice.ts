import type { ProtobufTypes } from '../core/app/formats/protobuf-schema.js';
import { recordPayload, type MessageRecord } from '../core/log/records.js';
import { visible } from './sanitize.js';
import { seg, type Line } from './styled-text.js';

/** Lines of a decoded message the detail pane shows at most. */
const MAX_LINES = 400;

/**
 * The message type the user chose (`P`) for each connection's direction, from the .proto that
 * `--proto FILE` gave: the detail pane then shows that direction's binary messages as the type,
 * whatever the connection's protocol read (a view only: records and the log stay as they were).
 */
export class ProtobufChoice {
  /** An index into the types, by `conn:from`. */
  private readonly chosen = new Map<string, number>();

  constructor(private readonly types: ProtobufTypes) {}

  /** The next type for `conn`'s messages from `from`, after the last the file defines none again: its name, or null. */
  next(conn: number, from: MessageRecord['from']): string | null {
    const key = `${conn}:${from}`;
    const index = (this.chosen.get(key) ?? -1) + 1;
    if (index >= this.types.names.length) {
      this.chosen.delete(key);
      return null;
    }
    this.chosen.set(key, index);
    return this.types.names[index]!;
  }

  /** The type chosen for `conn`'s messages from `from`, or null. */
  typeOf(conn: number, from: MessageRecord['from']): string | null {
    const index = this.chosen.get(`${conn}:${from}`);
    return index === undefined ? null : this.types.names[index]!;
  }

  /** A binary message read as the type chosen for its direction, as the detail pane shows it; none without a choice. */
  detailLines(m: MessageRecord): Line[] {
    const type = m.kind === 'binary' ? this.typeOf(m.conn, m.from) : null;
    if (type === null) return [];
    const lines: Line[] = [[], [seg(`Protobuf as ${type}`, 'heading')]];
    const read = this.types.decode(type, recordPayload(m));
    if ('error' in read) return [...lines, [seg(visible(`not a ${type}: ${read.error}`), 'bad')]];
    const all = (JSON.stringify(read.value, null, 2) ?? 'null').split('\n');
    lines.push(...all.slice(0, MAX_LINES).map((l): Line => [seg(visible(l))]));
    if (all.length > MAX_LINES) lines.push([seg(`… ${all.length - MAX_LINES} more lines`, 'dim')]);
    return lines;
  }
}
