import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { CaptureConnections } from '../../core/capture/capture-connections.js';
import { PcapReader } from '../../core/capture/pcap-reader.js';
import type { SessionLogFile } from './session-log.js';

export interface PcapFileOptions {
  /** The file is gzip-compressed. */
  gzip: boolean;
}

/**
 * A pcap or pcapng file (gzip-compressed or not) read as session-log records: streamed, so memory
 * holds one read chunk and the open connections' reassembly state, whatever the file's size. A
 * file that ends inside a record or is damaged part-way is a problem (on stderr); the packets
 * before are shown.
 */
export function openPcapFile(file: string, options: PcapFileOptions): SessionLogFile {
  return {
    async read(onRecord) {
      let records = 0;
      const table = new CaptureConnections({ source: path.basename(file) }, (r) => {
        records++;
        onRecord(r);
      });
      const reader = new PcapReader((p) => table.packet(p));
      const raw = fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
      const stream = options.gzip ? raw.pipe(zlib.createGunzip()) : raw;
      try {
        for await (const chunk of stream) {
          reader.push(chunk as Buffer);
          if (reader.error) break;
        }
      } finally {
        raw.destroy();
      }
      const problem = reader.end();
      table.end();
      return {
        records,
        problems: problem ? [{ line: reader.packets + 1, error: `packet ${reader.packets + 1}: ${problem}` }] : [],
        tornLastLine: false,
      };
    },
  };
}
