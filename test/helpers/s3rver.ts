import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real S3-compatible server (s3rver) on a loopback port, with its own storage folder. */
export interface S3rverServer {
  /** e.g. http://127.0.0.1:41234; buckets are addressed path-style. */
  endpoint: string;
  /** s3rver's built-in account: every other access key is refused (InvalidAccessKeyId, 403). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/**
 * Starts s3rver in this process on a port the kernel picks.
 * @remarks s3rver checks access key ids and presigned expiry, but not SigV4 signatures; it has no
 * AbortMultipartUpload or ListParts and ignores conditional writes. What depends on those only a
 * real S3 checks.
 */
export async function startS3rver(): Promise<S3rverServer> {
  // s3rver ships no types: the little used here, declared.
  const S3rver = createRequire(import.meta.url)('s3rver') as new (o: object) => { run(): Promise<AddressInfo>; close(): Promise<void>; httpServer: Server };
  const directory = await mkdtemp(path.join(tmpdir(), 'holdout-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    stop: async () => {
      // Clients keep connections alive; close() alone would wait for them to time out.
      const closed = server.close();
      server.httpServer.closeAllConnections();
      await closed;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
