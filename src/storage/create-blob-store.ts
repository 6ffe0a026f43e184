import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs/fs-blob-store.js';

export type BlobStoreConfig = { kind: 'fs'; root: string };

/** The one place that maps configuration to a blob store adapter. */
export function createBlobStore(config: BlobStoreConfig): BlobStore {
  switch (config.kind) {
    case 'fs':
      return new FsBlobStore(config.root);
  }
}
