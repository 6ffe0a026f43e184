import { open } from 'node:fs/promises';

/** Whether a file starts as a zip archive does ("PK\x03\x04", or "PK\x05\x06" when empty). */
export async function isZip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && head.readUInt16BE(0) === 0x504b && [0x0304, 0x0506].includes(head.readUInt16BE(2));
  } finally {
    await fh.close();
  }
}
