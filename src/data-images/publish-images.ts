import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import type { BlobStore } from '../storage/blob-store.js';
import { dataImageKey, type DataImage, type DataImages } from './data-image.js';
import { canPack, packImage } from './pack-image.js';

/**
 * Packs a bundle's test features (and smoke features) into data images and puts each in the blob
 * store under its digest, unless one of that size is there already. Undefined when this host
 * cannot make images (no erofs-utils): workers then copy the files one by one, as before.
 * @throws DataImageError when packing or uploading fails; nothing is recorded then.
 */
export async function publishDataImages(
  bundle: { root: string; manifest: ReadonlyMap<string, string>; config: { data: { testFeatures?: string | undefined; smoke?: { features: string } | undefined } } },
  blobs: BlobStore,
  tempParent = tmpdir(),
): Promise<DataImages | undefined> {
  if (!(await canPack())) return undefined;
  const { data } = bundle.config;
  const publish = async (folder: string): Promise<DataImage> => {
    const packed = await packImage(bundle.root, folder, bundle.manifest, tempParent);
    try {
      const key = dataImageKey(packed.digest);
      // Content-addressed: a blob of the right size under this key is this image (puts are whole or nothing).
      if ((await blobs.stat(key))?.bytes !== packed.bytes) await blobs.put(key, createReadStream(packed.file));
      return { digest: packed.digest, bytes: packed.bytes, folder, filesDigest: packed.filesDigest };
    } finally {
      await packed.dispose();
    }
  };
  // A competition whose phases all take result files has no test features to serve.
  if (data.testFeatures === undefined) return undefined;
  const test = await publish(data.testFeatures);
  const smoke = data.smoke ? await publish(data.smoke.features) : undefined;
  return { test, ...(smoke ? { smoke } : {}) };
}
