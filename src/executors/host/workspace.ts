import { spawn } from 'node:child_process';
import { copyFile, lchown, lstat, mkdir, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { etcFileContents } from './etc-files.js';

const pageSize = 4096;
/** Files and folders a run may create on top of its code (each inode costs kernel memory). */
const extraInodes = 65_536;

/**
 * Runs a short root tool (mount, umount). Plain spawn with only stderr piped: execFile's extra
 * pipes and buffering cost about a millisecond per call here.
 * @throws Error carrying the tool's stderr when it fails.
 */
function runTool(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: {}, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(Object.assign(new Error(`${file} ${args.join(' ')}: ${stderr.trim()}`), { stderr })),
    );
  });
}

/** What `Workspace.create` needs. */
export interface WorkspaceOptions {
  /** Host folder holding every run's workspace. */
  root: string;
  /** Folder name of this run (unique). */
  name: string;
  /** The submission, copied into `src`. Not modified. */
  codeDir: string;
  /** Bytes the run may write on top of its code, in `src` and `output` together. */
  outputBytes: number;
  /** Owner of `src` and `output`. */
  uid: number;
}

/** Bytes and inodes a folder takes on a tmpfs: whole pages per file. */
async function measureTree(dir: string): Promise<{ bytes: number; inodes: number }> {
  let bytes = 0;
  let inodes = 1;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = await measureTree(full);
      bytes += sub.bytes;
      inodes += sub.inodes;
    } else {
      const size = entry.isFile() ? (await lstat(full)).size : pageSize;
      bytes += Math.ceil(size / pageSize) * pageSize;
      inodes += 1;
    }
  }
  return { bytes, inodes };
}

/**
 * Copies a tree, giving every entry to `uid`. Symlinks are copied as links, never followed (they
 * resolve inside the sandbox); fifos, sockets and devices are left out.
 */
async function copyTree(from: string, to: string, uid: number): Promise<void> {
  await mkdir(to, { mode: (await lstat(from)).mode & 0o7777 });
  await lchown(to, uid, uid);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) {
      await copyTree(src, dest, uid);
      continue;
    }
    if (entry.isFile()) await copyFile(src, dest);
    else if (entry.isSymbolicLink()) await symlink(await readlink(src), dest);
    else continue;
    await lchown(dest, uid, uid);
  }
}

/**
 * A run's writable space: a size-limited tmpfs mounted on the host (`nosuid,nodev`), holding the
 * code copy (`src`) and the output folder, plus the run's synthetic /etc files next to it.
 * Writes past the quota fail with ENOSPC inside the run; the pages the run writes count against
 * its memory limit.
 * @remarks The code copy is made by the worker, so its pages are charged to the worker's memory
 * cgroup, not the run's: submission sizes are bounded when unzipping.
 */
export class Workspace {
  #disposed: Promise<void> | null = null;

  private constructor(
    /** The run's host folder (root only). */
    readonly dir: string,
  ) {}

  /** The tmpfs mount point. */
  get mountPoint(): string {
    return path.join(this.dir, 'ws');
  }
  /** The code copy, bound read-write as the working directory. */
  get src(): string {
    return path.join(this.mountPoint, 'src');
  }
  /** The output folder, bound read-write. */
  get output(): string {
    return path.join(this.mountPoint, 'output');
  }
  /** Synthetic account files, bound read-only into /etc. */
  get etcFiles(): { passwd: string; group: string; hosts: string } {
    const etc = path.join(this.dir, 'etc');
    return { passwd: path.join(etc, 'passwd'), group: path.join(etc, 'group'), hosts: path.join(etc, 'hosts') };
  }

  /** The workspace of an earlier run, to unmount and remove it. Touches nothing. */
  static open(root: string, name: string): Workspace {
    return new Workspace(path.join(root, name));
  }

  /**
   * Mounts and fills a run's workspace.
   * @throws Error when the copy, the mount or the folders fail (all partial state is removed).
   */
  static async create(options: WorkspaceOptions): Promise<Workspace> {
    const { root, name, codeDir, outputBytes, uid } = options;
    await mkdir(root, { recursive: true, mode: 0o711 });
    const ws = new Workspace(path.join(root, name));
    await mkdir(ws.dir, { mode: 0o700 });
    try {
      const code = await measureTree(codeDir);
      const size = code.bytes + Math.ceil(Math.max(0, outputBytes) / pageSize) * pageSize + 2 * pageSize;
      await mkdir(ws.mountPoint, { mode: 0o755 });
      await mkdir(path.dirname(ws.etcFiles.passwd), { mode: 0o755 });
      const contents = etcFileContents(uid);
      await Promise.all([
        runTool('/usr/bin/mount', [
          '-n', '-t', 'tmpfs',
          '-o', `size=${size},nr_inodes=${code.inodes + extraInodes},nosuid,nodev,mode=0755`,
          'tmpfs', ws.mountPoint,
        ]),
        writeFile(ws.etcFiles.passwd, contents.passwd, { mode: 0o644 }),
        writeFile(ws.etcFiles.group, contents.group, { mode: 0o644 }),
        writeFile(ws.etcFiles.hosts, contents.hosts, { mode: 0o644 }),
      ]);
      await copyTree(codeDir, ws.src, uid);
      await mkdir(ws.output, { mode: 0o755 });
      await lchown(ws.output, uid, uid);
    } catch (error) {
      await ws.dispose().catch(() => undefined);
      throw error;
    }
    return ws;
  }

  /** Unmounts the tmpfs (lazily if it stays busy) and removes the run's folder. Idempotent. */
  dispose(): Promise<void> {
    this.#disposed ??= this.#dispose();
    return this.#disposed;
  }

  async #dispose(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await runTool('/usr/bin/umount', attempt < 5 ? [this.mountPoint] : ['-l', this.mountPoint]);
        break;
      } catch (error) {
        const { stderr = '' } = error as { stderr?: string };
        if (/not mounted|no mount point|No such file/i.test(stderr)) break;
        if (attempt >= 5) throw new Error(`cannot unmount ${this.mountPoint}: ${stderr.trim()}`);
        await sleep(10 * 2 ** attempt);
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
