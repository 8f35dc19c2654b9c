import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { CaptureConnections } from '../../core/capture/capture-connections.js';
import type { KeyLog } from '../../core/capture/key-log.js';
import { PcapReader } from '../../core/capture/pcap-reader.js';
import type { SessionLogFile } from './session-log.js';

export interface PcapFileOptions {
  /** The file is gzip-compressed. */
  gzip: boolean;
  /** A key log to decrypt TLS connections with, and the file it was read from (its problems are reported). */
  keyLog?: { file: string; log: KeyLog } | null;
  /** Told after each chunk read: the file's bytes read so far (compressed ones for gzip) and its size. */
  onProgress?: (read: number, total: number) => void;
}

/**
 * A pcap or pcapng file (gzip-compressed or not) read as session-log records: streamed, so memory
 * holds one read chunk and the open connections' reassembly state, whatever the file's size. A
 * file that ends inside a record or is damaged part-way is a problem (on stderr); the packets
 * before are shown. With a key log, TLS connections are decrypted; its unreadable lines are
 * problems too, named by the key log's file.
 */
export function openPcapFile(file: string, options: PcapFileOptions): SessionLogFile {
  return {
    async read(onRecord, pace) {
      let records = 0;
      const table = new CaptureConnections({ source: path.basename(file), keyLog: options.keyLog?.log ?? null }, (r) => {
        records++;
        onRecord(r);
      });
      const reader = new PcapReader((p) => table.packet(p));
      const raw = fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
      const total = fs.statSync(file).size;
      const stream = options.gzip ? raw.pipe(zlib.createGunzip()) : raw;
      try {
        for await (const chunk of stream) {
          reader.push(chunk as Buffer);
          options.onProgress?.(raw.bytesRead, total);
          if (reader.error) break;
          await pace?.();
        }
      } finally {
        raw.destroy();
      }
      const problem = reader.end();
      table.end();
      const keyLog = options.keyLog;
      const keyLogProblems = (keyLog?.log.problems ?? []).map((p) => ({ ...p, source: keyLog!.file }));
      return {
        records,
        problems: [...keyLogProblems, ...(problem ? [{ error: `packet ${reader.packets + 1}: ${problem}` }] : [])],
        tornLastLine: false,
      };
    },
  };
}
