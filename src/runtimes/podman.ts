import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Why a podman command failed, so callers can tell a missing image (the host's fix: build or pull
 * it) from a registry that refused (the fix is on the registry side) from a missing podman.
 */
export type PodmanFailure = 'podman_missing' | 'image_missing' | 'registry_refused' | 'failed';

/** A podman command failed; the message says what and how to fix it. */
export class PodmanError extends Error {
  constructor(
    readonly failure: PodmanFailure,
    message: string,
  ) {
    super(message);
    this.name = 'PodmanError';
  }
}

/** How `Podman` runs podman. */
export interface PodmanOptions {
  /** @defaultValue "podman" from PATH */
  binary?: string;
  /**
   * Environment of every podman command. podman's own variables choose its storage
   * (CONTAINERS_STORAGE_CONF), its configuration (CONTAINERS_CONF) and which registries are plain
   * HTTP (CONTAINERS_REGISTRIES_CONF): tests point them at temporary files.
   * @defaultValue this process's environment
   */
  env?: NodeJS.ProcessEnv;
  /**
   * Working directory of every podman command: conmon leaves files there (an "oom" marker after
   * an out-of-memory kill). @defaultValue this process's
   */
  cwd?: string;
}

/** An image reference: `name[:tag]` or `name@sha256:<hex>`, with an optional registry host. */
const referencePattern = /^[a-z0-9][a-z0-9._:/-]*(?:@sha256:[0-9a-f]{64})?$/;
export const imageIdPattern = /^sha256:[0-9a-f]{64}$/;

/** Throws unless `ref` looks like an image reference (nothing that podman could take as an option). */
export function checkImageReference(ref: string): string {
  if (!referencePattern.test(ref) || ref.length > 500) {
    throw new PodmanError('failed', `"${ref}" is not an image reference (e.g. registry.example:5000/holdout/python-ml@sha256:<64 hex>)`);
  }
  return ref;
}

/** Classifies podman's stderr; the patterns are containers/image's wording (podman 4.x). */
function classify(stderr: string): PodmanFailure {
  if (/image not known|no such image|manifest unknown|name unknown|not found: manifest|repository name not known/i.test(stderr)) return 'image_missing';
  if (/connection refused|no such host|pinging container registry|unauthorized|denied|authentication required|i\/o timeout|HTTP response to HTTPS client|x509|tls:/i.test(stderr)) {
    return 'registry_refused';
  }
  return 'failed';
}

function hint(failure: PodmanFailure, stderr: string): string {
  if (failure === 'registry_refused') {
    return /HTTP response to HTTPS client/.test(stderr)
      ? ' (a plain-HTTP registry: pass --tls-verify=false, or list it as insecure in registries.conf)'
      : ' (is the registry running and reachable from here? log in with "podman login" if it needs credentials)';
  }
  return '';
}

/**
 * The one place that runs the podman CLI. Every method throws PodmanError: `podman_missing` when
 * podman is not installed, `image_missing` when a local or remote image does not exist,
 * `registry_refused` when a registry cannot be reached or refuses.
 */
export class Podman {
  readonly binary: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #cwd: string | undefined;

  constructor(options: PodmanOptions = {}) {
    this.binary = options.binary ?? 'podman';
    this.#env = options.env ?? process.env;
    this.#cwd = options.cwd;
  }

  /**
   * Runs `podman ARGS`; resolves with its stdout.
   * @param what what the command does, for the error message ("pulling X")
   */
  exec(args: readonly string[], what: string, opts: { onOutput?: (chunk: Buffer) => void } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, args, { env: this.#env, stdio: ['ignore', 'pipe', 'pipe'], ...(this.#cwd ? { cwd: this.#cwd } : {}) });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out.push(chunk);
        opts.onOutput?.(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        err = (err + chunk.toString('utf8')).slice(-4000);
        opts.onOutput?.(chunk);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'ENOENT'
            ? new PodmanError('podman_missing', `podman is not installed (${this.binary} not found), needed for ${what}: apt-get install podman runc`)
            : error,
        );
      });
      child.on('close', (code, signal) => {
        if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
        const stderr = err.trim();
        const failure = classify(stderr);
        const last = stderr.split('\n').filter((l) => l.trim() !== '').at(-1) ?? '';
        reject(new PodmanError(failure, `${what} failed (podman ${signal ?? `exit ${code}`}): ${last.replace(/^Error: /, '')}${hint(failure, stderr)}`));
      });
    });
  }

  /** The image ID ("sha256:<hex>", the digest of its config) of a local image, or undefined when there is none. */
  async imageId(ref: string): Promise<string | undefined> {
    try {
      const id = (await this.exec(['image', 'inspect', '--format', '{{.Id}}', checkImageReference(ref)], `inspecting ${ref}`)).trim();
      return id.startsWith('sha256:') ? id : `sha256:${id}`;
    } catch (error) {
      if (error instanceof PodmanError && error.failure === 'image_missing') return undefined;
      throw error;
    }
  }

  /** Imports a root file system tar as an image tagged `ref`; returns its image ID. */
  async importTar(tarFile: string, ref: string): Promise<string> {
    await this.exec(['import', '--quiet', tarFile, checkImageReference(ref)], `importing ${tarFile} as ${ref}`);
    return this.#mustExist(ref);
  }

  /**
   * Builds `containerfile` in `contextDir` with its first FROM replaced by the local image `from`,
   * never pulling; tags the result `tag` and returns its image ID.
   */
  async build(opts: { contextDir: string; containerfile: string; from: string; tag: string; onOutput?: (chunk: Buffer) => void }): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'holdout-build-'));
    try {
      const iidFile = path.join(dir, 'iid');
      const args = ['build', '--pull=never', '--from', checkImageReference(opts.from), '--iidfile', iidFile, '-t', checkImageReference(opts.tag), '-f', opts.containerfile, opts.contextDir];
      await this.exec(args, `building ${opts.tag} from ${opts.containerfile}`, opts.onOutput ? { onOutput: opts.onOutput } : {});
      const id = (await readFile(iidFile, 'utf8')).trim();
      return id.startsWith('sha256:') ? id : `sha256:${id}`;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Gives the local image `ref` another name. */
  async tag(ref: string, newRef: string): Promise<void> {
    await this.exec(['tag', checkImageReference(ref), checkImageReference(newRef)], `tagging ${ref} as ${newRef}`);
  }

  /** Writes the local image `ref` to `file` as an OCI archive (`podman load` or skopeo read it). */
  async saveOciArchive(ref: string, file: string): Promise<void> {
    await this.exec(['save', '--format', 'oci-archive', '-o', file, checkImageReference(ref)], `exporting ${ref} to ${file}`);
  }

  /**
   * Pushes the local image `ref` to `destination` (registry/repo:tag); returns the digest of the
   * manifest the registry stored, so that `repo@<digest>` pins exactly what was pushed.
   */
  async push(ref: string, destination: string, opts: { tlsVerify?: boolean } = {}): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'holdout-push-'));
    try {
      const digestFile = path.join(dir, 'digest');
      await this.exec(['push', ...tlsArgs(opts.tlsVerify), '--digestfile', digestFile, checkImageReference(ref), `docker://${checkImageReference(destination)}`], `pushing ${ref} to ${destination}`);
      return (await readFile(digestFile, 'utf8')).trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Pulls `ref` from its registry; returns the image ID. */
  async pull(ref: string, opts: { tlsVerify?: boolean } = {}): Promise<string> {
    await this.exec(['pull', '--quiet', ...tlsArgs(opts.tlsVerify), checkImageReference(ref)], `pulling ${ref}`);
    return this.#mustExist(ref);
  }

  /**
   * Mounts the local image `ref` read-only and returns the folder of its merged file system
   * (root only). Pair with `unmountImage`.
   */
  async mountImage(ref: string): Promise<string> {
    return (await this.exec(['image', 'mount', checkImageReference(ref)], `mounting image ${ref}`)).trim();
  }

  async unmountImage(ref: string): Promise<void> {
    await this.exec(['image', 'unmount', checkImageReference(ref)], `unmounting image ${ref}`);
  }

  async #mustExist(ref: string): Promise<string> {
    const id = await this.imageId(ref);
    if (id === undefined) throw new PodmanError('image_missing', `podman reported success but has no image ${ref}`);
    return id;
  }
}

function tlsArgs(tlsVerify: boolean | undefined): string[] {
  return tlsVerify === undefined ? [] : [`--tls-verify=${tlsVerify}`];
}
