import { crc32, deflateRawSync } from 'node:zlib';
import { rawZip } from '../helpers/raw-zip.js';

// Hostile archives a participant could upload, built byte for byte (zip tools refuse to make them).

const main = { name: 'main.py', data: 'print("hello")\n' };

/** A valid zip with no entry at all: just the end-of-central-directory record. */
export function emptyZip(): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  return end;
}

/**
 * A "non-recursive" zip bomb in the manner of David Fifield's overlapping-file construction: one
 * deflated kernel of `kernelBytes` zeros and `count` central-directory entries that all point at
 * it, so a small file claims `count` times the kernel.
 */
export function overlappingBomb(count: number, kernelBytes: number): Buffer {
  const plain = Buffer.alloc(kernelBytes);
  const data = deflateRawSync(plain, { level: 9 });
  const crc = crc32(plain);
  const localName = Buffer.from('k');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(kernelBytes, 22);
  local.writeUInt16LE(localName.length, 26);
  const centrals: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const name = Buffer.from(`f${i}`);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE((3 << 8) | 20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(data.length, 20);
    c.writeUInt32LE(kernelBytes, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    c.writeUInt32LE(0, 42); // every entry's data is the same kernel
    centrals.push(c, name);
  }
  const body = Buffer.concat([local, localName, data]);
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(body.length, 16);
  return Buffer.concat([body, cd, end]);
}

/** One hostile upload: what it is, its bytes, and what the refusal must say. */
export interface HostileZip {
  name: string;
  zip: Buffer;
  message: RegExp;
}

/**
 * Every archive attack, for a server with `maxUnpackedBytes` 16 MiB and `maxFiles` 50.
 * `marker` names the files an escape would create, so the test can look for them.
 */
export function hostileZips(marker: string): HostileZip[] {
  const bomb = Buffer.alloc(64 << 20);
  return [
    { name: 'zip slip (../)', zip: rawZip([main, { name: `../${marker}.py`, data: 'x' }]), message: /points outside the archive/ },
    { name: 'zip slip inside a folder (a/../../)', zip: rawZip([main, { name: `a/../../${marker}.py`, data: 'x' }]), message: /points outside the archive/ },
    { name: 'absolute path', zip: rawZip([main, { name: `/tmp/${marker}.py`, data: 'x' }]), message: /absolute path/ },
    { name: 'drive-letter path', zip: rawZip([main, { name: `C:/${marker}.py`, data: 'x' }]), message: /absolute path/ },
    { name: 'backslash path', zip: rawZip([main, { name: `..\\${marker}.py`, data: 'x' }]), message: /contains a backslash/ },
    { name: 'symlink entry', zip: rawZip([main, { name: 'passwd', data: '/etc/passwd', mode: 0o120777 }]), message: /is a symbolic link/ },
    {
      name: 'symlinked folder, then a file through it',
      zip: rawZip([main, { name: 'lib', data: '/tmp', mode: 0o120777 }, { name: `lib/${marker}.py`, data: 'x' }]),
      message: /is a symbolic link/,
    },
    // Zip has no hard-link entry type (Info-ZIP stores a hard link as a second copy); the nearest
    // trick, a second entry under a name already unpacked, is refused.
    { name: 'duplicate name (the nearest thing to a hard link)', zip: rawZip([main, { name: 'main.py', data: 'import os' }]), message: /appears twice/ },
    { name: 'file and folder of one name', zip: rawZip([main, { name: 'x/' }, { name: 'x', data: '1' }]), message: /appears twice/ },
    { name: 'character device entry', zip: rawZip([main, { name: 'mem', mode: 0o020644 }]), message: /special file/ },
    { name: 'fifo entry', zip: rawZip([main, { name: 'pipe', mode: 0o010644 }]), message: /special file/ },
    // As "zip -e" writes it: a 12-byte encryption header before the (stored) data.
    { name: 'encrypted entry', zip: rawZip([{ name: 'main.py', data: Buffer.alloc(12 + 15, 9), claimedSize: 15, flags: 0x1 }]), message: /encrypted/ },
    { name: 'zip bomb: 64 MiB of zeros in ~64 KiB, honest headers', zip: rawZip([main, { name: 'zeros.bin', data: bomb, deflate: true }]), message: /unpacks to more than 16 MiB/ },
    {
      name: 'zip bomb: 64 MiB of zeros under a header claiming 1 KiB',
      zip: rawZip([main, { name: 'zeros.bin', data: bomb, deflate: true, claimedSize: 1024 }]),
      message: /entry "zeros\.bin" unpacks to more than the 1024 bytes its header declares/,
    },
    { name: 'zip bomb: 1000 entries overlapping one 1 MiB kernel', zip: overlappingBomb(1000, 1 << 20), message: /unpacks to more than 16 MiB/ },
    { name: 'too many files', zip: rawZip([main, ...Array.from({ length: 60 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' }))]), message: /more than 50 entries/ },
    { name: 'not a zip', zip: Buffer.from('#!/bin/sh\nrm -rf /\n'.repeat(50)), message: /not a valid zip archive/ },
    { name: 'zero bytes', zip: Buffer.alloc(0), message: /not a valid zip archive/ },
    { name: 'truncated zip', zip: rawZip([main, { name: 'model.bin', data: Buffer.alloc(4096, 7) }]).subarray(0, 2000), message: /not a valid zip archive/ },
    { name: 'empty zip', zip: emptyZip(), message: /the archive is empty/ },
    { name: 'no main.py', zip: rawZip([{ name: 'predict.py', data: 'print(1)' }]), message: /main\.py is missing/ },
    { name: 'main.py inside a folder', zip: rawZip([{ name: 'project/main.py', data: 'print(1)' }]), message: /main\.py is inside "project\/"/ },
  ];
}
