import type { BlobStore } from './blob-store.js';
import { AzureBlobStore } from './azure/azure-blob-store.js';
import { FsBlobStore } from './fs/fs-blob-store.js';

/** Which adapter, and what it needs. */
export type BlobStoreConfig = { kind: 'fs'; root: string } | { kind: 'azure'; connectionString: string; container: string };

/**
 * The one place that maps configuration to a blob store adapter.
 * @remarks Importing the Azure adapter does not load its SDK: it does so on first use.
 */
export function createBlobStore(config: BlobStoreConfig): BlobStore {
  switch (config.kind) {
    case 'fs':
      return new FsBlobStore(config.root);
    case 'azure':
      return new AzureBlobStore({ connectionString: config.connectionString, container: config.container });
  }
}
