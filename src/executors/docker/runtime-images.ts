import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RunSpec } from '../executor.js';
import { EngineClient, EngineError } from './engine-client.js';

/** The image a run's container is made from, and the binds its runtime adds. */
export interface ContainerRuntime {
  /** Image ID ("sha256:…"). */
  image: string;
  binds: string[];
}

/**
 * Tag of the image behind the "host" runtime: an almost empty root (the merged-/usr links and the
 * mount points) onto which the host's /usr is bound read-only, as the sandbox does. Bump the
 * version when its contents change.
 */
const hostImageTag = { repo: 'localhost/holdout/host-runtime', tag: '2' };

/** Host files of the "host" runtime, bound read-only where they exist (the sandbox binds the same). */
const hostRuntimeFiles = ['/etc/ld.so.cache', '/etc/alternatives', '/etc/matplotlibrc', '/etc/fonts'];

interface ImageInspect {
  Id: string;
}

/** The image with this ID or reference in the engine's storage, or undefined. */
async function inspectImage(client: EngineClient, ref: string): Promise<ImageInspect | undefined> {
  try {
    return await client.json<ImageInspect>('GET', `/images/${encodeURIComponent(ref)}/json`);
  } catch (error) {
    if (error instanceof EngineError && error.status === 404) return undefined;
    throw error;
  }
}

/** An image ID as "sha256:<hex>" (podman answers with or without the prefix). */
export function normalizeImageId(id: string): string {
  return id.startsWith('sha256:') ? id : `sha256:${id}`;
}

/**
 * Pulls `ref` through the engine.
 * @throws Error with the registry's words when the pull fails (the engine reports it inside a 200 stream).
 */
async function pullImage(client: EngineClient, ref: string): Promise<void> {
  let text: string;
  try {
    text = await client.text('POST', `/images/create?fromImage=${encodeURIComponent(ref)}`);
  } catch (error) {
    throw new Error(`cannot pull runtime image ${ref}: ${(error as Error).message}; check the reference, that the registry is reachable from the worker, and its credentials`);
  }
  const failure = /"error"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
  if (failure) throw new Error(`cannot pull runtime image ${ref}: ${JSON.parse(`"${failure[1]}"`) as string}`);
}

/**
 * Finds a run's image in the engine: "host" (made once, see `hostImageTag`), else the image whose
 * ID is the recorded digest, pulled from `runtimeImage` when the engine lacks it.
 * @throws Error when the image cannot be found or pulled, or has another digest than recorded:
 * the worker retries it as an infrastructure failure.
 */
export async function resolveContainerRuntime(client: EngineClient, spec: Pick<RunSpec, 'runtime' | 'runtimeDigest' | 'runtimeImage'>, root: string): Promise<ContainerRuntime> {
  if (spec.runtime === 'host') return hostRuntime(client, root);
  const digest = spec.runtimeDigest;
  if (digest === undefined) {
    throw new Error(`runtime "${spec.runtime}" has no recorded image digest; update the competition so that its runtime image is recorded`);
  }
  let found = await inspectImage(client, digest);
  if (!found && spec.runtimeImage) {
    await pullImage(client, spec.runtimeImage);
    found = await inspectImage(client, digest);
    if (!found) {
      const pulled = await inspectImage(client, spec.runtimeImage);
      throw new Error(
        `runtime image ${spec.runtimeImage} has digest ${pulled ? normalizeImageId(pulled.Id) : '(unknown)'}, but the competition recorded ${digest}; ` +
          'pin the reference by digest (repo@sha256:…) or update the competition',
      );
    }
  }
  if (!found) {
    throw new Error(`runtime "${spec.runtime}" (image ${digest}) is not in the container engine at ${client.socketPath}; pull or load it there, or record a reference to pull it from`);
  }
  return { image: normalizeImageId(found.Id), binds: [] };
}

/** The "host" runtime's image (imported once per engine) and its binds. */
async function hostRuntime(client: EngineClient, root: string): Promise<ContainerRuntime> {
  const tagged = `${hostImageTag.repo}:${hostImageTag.tag}`;
  let image = await inspectImage(client, tagged);
  if (!image) {
    const id = await importSkeleton(client);
    await client.text('POST', `/images/${encodeURIComponent(id)}/tag?repo=${encodeURIComponent(hostImageTag.repo)}&tag=${hostImageTag.tag}`);
    image = { Id: id };
  }
  const usrLocal = await hostUsrLocal(root);
  const binds = ['/usr:/usr:ro', `${usrLocal}:/usr/local:ro`];
  for (const file of hostRuntimeFiles) if (existsSync(file)) binds.push(`${file}:${file}:ro`);
  return { image: normalizeImageId(image.Id), binds };
}

/**
 * The folder bound over /usr/local: host tools and configuration there must not leak, and
 * `python` is an alias of Debian's /usr/bin/python3 (competitions call `python main.py`).
 */
async function hostUsrLocal(root: string): Promise<string> {
  const dir = path.join(root, 'host-runtime', 'usr-local');
  if (!existsSync(path.join(dir, 'bin', 'python'))) {
    await mkdir(path.join(dir, 'bin'), { recursive: true, mode: 0o755 });
    await symlink('/usr/bin/python3', path.join(dir, 'bin', 'python')).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  return dir;
}

/** Imports the skeleton root (folders and merged-/usr links, all root's) as an image; its ID. */
async function importSkeleton(client: EngineClient): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'holdout-skeleton-'));
  try {
    for (const sub of ['usr', 'etc', 'tmp', 'proc', 'dev', 'sys', 'opt']) await mkdir(path.join(dir, sub), { mode: 0o755 });
    // The engine copies a folder's mode onto the tmpfs mounted over it: /tmp must be everyone's.
    await chmod(path.join(dir, 'tmp'), 0o1777);
    for (const link of ['bin', 'lib', 'lib64', 'sbin']) await symlink(`usr/${link}`, path.join(dir, link));
    const tar = spawn('/usr/bin/tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const answer = await client.json<{ id?: string; status?: string }>('POST', '/images/create?fromSrc=-', { stream: tar.stdout, contentType: 'application/x-tar' });
    const id = answer?.id ?? answer?.status;
    if (!id?.startsWith('sha256:')) throw new Error(`the container engine did not import the host runtime's skeleton image (answer: ${JSON.stringify(answer)})`);
    return id;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
