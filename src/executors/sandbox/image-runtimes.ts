import { ImageCache } from '../../runtimes/image-cache.js';
import { RuntimeStore } from '../../runtimes/runtime-store.js';
import { rootfsRuntime } from './sandbox-runtime.js';

/**
 * The sandbox's runtimes from images: the recorded digest (else the latest build of the recipe
 * of that name here), unpacked once per digest into the image cache, pulled from the recorded
 * image reference when podman's storage lacks it. The executor compares the digest.
 */
export function imageRuntimes(runtimesDir: string) {
  const store = new RuntimeStore(runtimesDir);
  const cache = new ImageCache(runtimesDir);
  return async (spec: { runtime: string; runtimeDigest?: string; runtimeImage?: string }) => {
    const digest = spec.runtimeDigest ?? (await store.get(spec.runtime))?.digest;
    if (digest === undefined) return undefined;
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new Error(`the competition recorded ${digest} for runtime "${spec.runtime}", which is not an image ID; update the competition to record its runtime image`);
    }
    return rootfsRuntime(spec.runtime, await cache.rootfs(digest, spec.runtimeImage), digest);
  };
}
