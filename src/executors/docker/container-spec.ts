import { type RunSpec, runAliases } from '../executor.js';
import type { HostLauncher } from '../host/host-launcher.js';
import { harnessMount } from '../../domain/harness.js';
import { checkLayoutPath, sandboxEnvironment } from '../host/run-environment.js';
import { logPipeInRun } from './log-fifo.js';

/** What decides a run's container, besides the spec. */
export interface ContainerInput {
  spec: Pick<RunSpec, 'command' | 'layout' | 'limits' | 'env' | 'dataDir' | 'harnessDir' | 'codeReadOnly' | 'aliases'>;
  /** Image ID ("sha256:…") the container is made from: by ID, so a tag moved meanwhile cannot change it. */
  image: string;
  /** Binds the runtime adds ("host:container:ro"), e.g. the host's /usr for the "host" runtime. */
  runtimeBinds: readonly string[];
  /** Host folders of the run's workspace (a size-limited tmpfs): code and output, and the /etc files. */
  workspace: { src: string; output: string; etcFiles: { passwd: string; group: string; hosts: string } };
  /** The host's setpriv that drops to the run's uid (`hostLauncher`). */
  launcher: Pick<HostLauncher, 'argv' | 'files'>;
  /** Host path of the named pipe the run's stdout and stderr go to (see `LogFifo`). */
  logPipe: string;
  uid: number;
  /** Absolute cgroup path (under each hierarchy's root) of the run's own cgroup, which holds the limits. */
  cgroupParent: string;
  /** Devices the run may use, and what they add to its environment. */
  gpu?: { devices: readonly { host: string; container: string }[]; binds: readonly string[]; env: Readonly<Record<string, string>> };
  /**
   * The seccomp profile (`buildSeccompProfile`) as the engine takes it: Docker the JSON itself,
   * podman the path of a file holding it.
   */
  seccomp: string;
  /** Labels that let a later worker find and sweep what this one leaves. */
  labels: Readonly<Record<string, string>>;
}

/** Variables engines add on their own (podman: container, TERM; both: HOSTNAME). */
const engineVars = ['HOSTNAME', 'TERM', 'container'];

/** Shell words that remove the engine's variables, so the run's environment is the sandbox's. */
function unsetEngineVars(env: Record<string, string>): string {
  const extra = engineVars.filter((name) => !Object.hasOwn(env, name));
  return extra.length ? `unset ${extra.join(' ')}; ` : '';
}

/**
 * The Docker Engine API body that creates a run's container. Pure.
 *
 * Like the sandbox: the entry point runs as the run's uid with no capabilities (the container
 * starts as root only to let the host's setpriv drop to it: the image needs /bin/sh),
 * stdout and stderr go to a host pipe, no network (only lo), a read-only root, the code and output folders of the
 * run's size-limited workspace, the test features read-only, /tmp and /dev/shm as tmpfs (their
 * pages count against the run's memory limit, as in the sandbox), the
 * run's own uid, every capability dropped, no privilege gain (setuid files do nothing), the
 * sandbox's seccomp rules (`buildSeccompProfile`), an init as pid 1, and pids and CPU limits on
 * the container (the init counts as one of the run's processes).
 * @remarks The memory limit is not the container's but its parent cgroup's (`cgroupParent`):
 * that is where the executor sees an OOM kill, which podman's `State.OOMKilled` misses on a
 * cgroup v1 host. Logs go to the attach stream only (`LogConfig: none`): the engine stores
 * nothing, so a run that prints gigabytes fills no disk.
 */
export function containerCreateBody(input: ContainerInput): Record<string, unknown> {
  const { spec, workspace, uid } = input;
  const { layout, limits } = spec;
  for (const [kind, dest] of Object.entries(layout)) checkLayoutPath(kind, dest);
  const aliases = runAliases(spec.aliases, layout, [harnessMount], spec.harnessDir !== undefined);
  for (const [dest] of aliases) checkLayoutPath(`alias ${dest}`, dest);
  const env = sandboxEnvironment({ ...spec.env, ...input.gpu?.env });
  return {
    Image: input.image,
    Cmd: [
      // Root only until setpriv drops to the run's uid (as in the sandbox): the init and the
      // run then have different uids, so the run cannot trace, signal or read the init. The
      // host's setpriv, loader and libraries: nothing of the image runs as root.
      ...input.launcher.argv, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
      '/bin/sh', '-c', `${unsetEngineVars(env)}exec "$@" >${logPipeInRun} 2>&1`, 'sh', ...spec.command,
    ],
    // The image's own entry point (a shell wrapper, say) would change what runs.
    Entrypoint: [],
    WorkingDir: layout.code,
    User: '0:0',
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Hostname: 'sandbox',
    Labels: { ...input.labels },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Binds: [
        ...input.runtimeBinds,
        `${workspace.src}:${layout.code}:${spec.codeReadOnly ? 'ro' : 'rw'}`,
        `${workspace.output}:${layout.output}:rw`,
        `${spec.dataDir}:${layout.data}:ro`,
        ...(spec.harnessDir === undefined ? [] : [`${spec.harnessDir}:${harnessMount}:ro`]),
        ...aliases.flatMap(([dest, kind]) => {
          const source = { code: `${workspace.src}:${dest}:${spec.codeReadOnly ? 'ro' : 'rw'}`, data: `${spec.dataDir}:${dest}:ro`, output: `${workspace.output}:${dest}:rw`, harness: `${spec.harnessDir ?? ''}:${dest}:ro`, scratch: undefined }[kind];
          return source === undefined ? [] : [source];
        }),
        `${workspace.etcFiles.passwd}:/etc/passwd:ro`,
        `${workspace.etcFiles.group}:/etc/group:ro`,
        `${workspace.etcFiles.hosts}:/etc/hosts:ro`,
        `${input.logPipe}:${logPipeInRun}:rw`,
        ...input.launcher.files.map((f) => `${f.source}:${f.target}:ro`),
        ...(input.gpu?.binds ?? []),
      ],
      // As Mounts, not Tmpfs: podman drops the mode from Tmpfs options (the run could not write /tmp).
      Mounts: ['/tmp', '/dev/shm', ...aliases.filter(([, kind]) => kind === 'scratch').map(([dest]) => dest)].map((target) => ({ Type: 'tmpfs', Target: target, TmpfsOptions: { Mode: 0o1777 } })),
      // What setpriv needs to drop to the run's uid, and what the init needs to signal the run
      // (another uid); the run itself has no capability at all.
      CapDrop: ['ALL'],
      CapAdd: ['SETUID', 'SETGID', 'SETPCAP', 'KILL'],
      SecurityOpt: ['no-new-privileges', `seccomp=${input.seccomp}`],
      // An init as pid 1 (catatonit with podman, tini with Docker): the entry point gets default
      // signal handling, and a death by signal is reported as 128 + N.
      Init: true,
      CgroupParent: input.cgroupParent,
      PidsLimit: limits.pids,
      ...(limits.cpus > 0 ? { NanoCpus: Math.round(limits.cpus * 1e9) } : {}),
      // podman replaces its default ulimits by the ones named here: name both it needs.
      Ulimits: [
        { Name: 'nofile', Soft: 4096, Hard: 4096 },
        { Name: 'nproc', Soft: 4096, Hard: 4096 },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      Devices: (input.gpu?.devices ?? []).map((d) => ({ PathOnHost: d.host, PathInContainer: d.container, CgroupPermissions: 'rwm' })),
      LogConfig: { Type: 'none', Config: {} },
      Privileged: false,
      AutoRemove: false,
    },
  };
}
