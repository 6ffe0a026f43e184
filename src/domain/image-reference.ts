/**
 * Image references, pure. `registry.example:5000/holdout/python-ml:2026-12` names whatever the tag
 * points at today; `registry.example:5000/holdout/python-ml@sha256:<hex>` pins one manifest.
 */

/** `[host[:port]/]path[:tag][@sha256:<64 hex>]`, lowercase path components as the OCI spec has them. */
const referencePattern = /^(?:(?<host>[a-zA-Z0-9.-]+(?::\d+)?)\/)?(?<path>[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[0-9a-f]{64}))?$/;

export interface ImageReference {
  /** Registry host (with port), when the reference names one (a first component with "." or ":" or "localhost"). */
  host?: string;
  path: string;
  tag?: string;
  /** Manifest digest, when pinned. */
  digest?: string;
}

/** Splits an image reference; undefined when it is not one. */
export function parseImageReference(ref: string): ImageReference | undefined {
  const m = referencePattern.exec(ref);
  if (!m?.groups?.path) return undefined;
  let { host, path } = m.groups;
  // "holdout/python-ml": the first component is a path component, not a registry, as Docker reads it.
  if (host !== undefined && !/[.:]/.test(host) && host !== 'localhost') {
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(host)) return undefined;
    path = `${host}/${path}`;
    host = undefined;
  }
  return { ...(host ? { host } : {}), path, ...(m.groups.tag ? { tag: m.groups.tag } : {}), ...(m.groups.digest ? { digest: m.groups.digest } : {}) };
}

/** The repository of a reference: host and path, no tag, no digest. */
export function repositoryOf(ref: ImageReference): string {
  return ref.host ? `${ref.host}/${ref.path}` : ref.path;
}

/** `registry/repo:tag` pushed as manifest `digest` → `registry/repo@digest`, which always means that manifest. */
export function pinnedReference(destination: string, manifestDigest: string): string {
  const parsed = parseImageReference(destination);
  if (!parsed) throw new Error(`"${destination}" is not an image reference (REGISTRY/REPO:TAG)`);
  return `${repositoryOf(parsed)}@${manifestDigest}`;
}

/**
 * The runtime name a competition running image `ref` gets (what workers match and submissions
 * record): the last path component, e.g. "python-ml" for `registry:5000/holdout/python-ml@sha256:…`.
 */
export function runtimeNameOfImage(ref: ImageReference): string {
  const last = ref.path.split('/').at(-1) ?? ref.path;
  const name = last.replace(/[._]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  // "host" is the machine's own /usr, never an image.
  return name.length >= 2 && name !== 'host' ? name : `image-${name}`;
}
