import type { BlobStore } from './blob-store.js';
import { AzureBlobStore } from './azure/azure-blob-store.js';
import { FsBlobStore } from './fs/fs-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3/s3-blob-store.js';

/** Which adapter, and what it needs. */
export type BlobStoreConfig =
  | { kind: 'fs'; root: string }
  | { kind: 'azure'; connectionString: string; container: string }
  | ({ kind: 's3' } & S3BlobStoreOptions);

/**
 * The one place that maps configuration to a blob store adapter.
 * @remarks Importing the Azure or S3 adapter does not load its SDK: it does so on first use.
 */
export function createBlobStore(config: BlobStoreConfig): BlobStore {
  switch (config.kind) {
    case 'fs':
      return new FsBlobStore(config.root);
    case 'azure':
      return new AzureBlobStore({ connectionString: config.connectionString, container: config.container });
    case 's3': {
      const { kind: _, ...options } = config;
      return new S3BlobStore(options);
    }
  }
}
