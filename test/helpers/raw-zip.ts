import { crc32, deflateRawSync } from 'node:zlib';

/** An entry written exactly as given: names and modes a well-behaved zip tool would refuse. */
export interface RawEntry {
  name: string;
  data?: Buffer | string;
  /** Unix st_mode (e.g. 0o120777 for a symlink); stored in the external attributes. */
  mode?: number;
  /** Uncompressed size to claim in the headers (a lying header); defaults to the real size. */
  claimedSize?: number;
  /** Deflate the data (method 8) instead of storing it. */
  deflate?: boolean;
  /** General purpose flags besides UTF-8 names (e.g. 0x1, "encrypted"). */
  flags?: number;
}

/**
 * Builds a zip byte for byte (entries stored, or deflated on request), so tests can make hostile
 * archives: "../" paths, absolute paths, symlinks, devices, lying sizes, encryption flags.
 */
export function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const plain = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '', 'utf8');
    const crc = crc32(plain);
    const size = e.claimedSize ?? plain.length;
    const data = e.deflate ? deflateRawSync(plain) : plain;
    const method = e.deflate ? 8 : 0;
    const flags = 0x0800 | (e.flags ?? 0); // UTF-8 names
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? (e.name.endsWith('/') ? 0o040755 : 0o100644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
