import path from 'node:path';
import { z } from 'zod';
import { parseDataPaths } from '../data-images/test-features.js';
import { parseDataVolume } from '../executors/kubernetes/data-volume.js';

const MiB = 1024 * 1024;

function isDataVolume(text: string): boolean {
  try {
    parseDataVolume(text);
    return true;
  } catch {
    return false;
  }
}

function isDataPaths(text: string): boolean {
  try {
    parseDataPaths(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Holdout's configuration: one schema, read once from the environment (HOLDOUT_*), with a default
 * and a description per key. Adapters receive the frozen result and never read process.env.
 */
const schema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080).describe('HTTP port (0: any free port)'),
  host: z.string().default('127.0.0.1').describe('interface to listen on'),
  dataDir: z.string().default('var').describe('folder for the database, blobs and caches'),
  databaseUrl: z.string().optional().describe('database URL; default sqlite:<dataDir>/holdout.db'),
  blobStore: z.enum(['fs', 'azure', 's3']).default('fs').describe('where submissions, logs and bundles are stored: fs (a folder), azure (Azure Blob Storage) or s3 (S3 or an S3-compatible service)'),
  blobDir: z.string().optional().describe('root of the fs blob store; default <dataDir>/blobs'),
  azureConnectionString: z.string().optional().describe('Azure Storage connection string for the azure blob store (AccountName=…;AccountKey=…, or a SAS); a secret'),
  azureContainer: z
    .string()
    .regex(/^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/, 'must be an Azure container name: 3 to 63 lowercase letters, digits and single hyphens')
    .default('holdout')
    .describe('container of the azure blob store; created when missing'),
  s3Bucket: z
    .string()
    .regex(/^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens')
    .default('holdout')
    .describe('bucket of the s3 blob store; created when missing (and the key may create buckets)'),
  s3Endpoint: z.url().optional().describe('endpoint of an S3-compatible service for the s3 blob store (e.g. http://minio:9000); default AWS S3'),
  s3Region: z.string().default('us-east-1').describe('region of the s3 blob store'),
  s3ForcePathStyle: z.union([z.boolean(), z.stringbool()]).default(false).describe('address the bucket as <endpoint>/<bucket> (most self-hosted S3 services need it)'),
  s3AccessKeyId: z.string().optional().describe('access key of the s3 blob store; default the AWS SDK chain (AWS_* variables, profile, instance role)'),
  s3SecretAccessKey: z.string().optional().describe('secret key for HOLDOUT_S3_ACCESS_KEY_ID; a secret'),
  signedDownloads: z
    .union([z.boolean(), z.stringbool()])
    .default(false)
    .describe("send downloads of public files and submissions' code to a time-limited URL of the blob store (azure, s3), so large training data does not pass through the server"),
  executor: z.enum(['sandbox', 'docker', 'kubernetes', 'slurm']).default('sandbox').describe('how submissions run: sandbox (bubblewrap and cgroups, the default), docker (a container per run through the Docker Engine API at HOLDOUT_DOCKER_HOST), kubernetes (a Job per run in HOLDOUT_KUBERNETES_NAMESPACE) or slurm (a batch job per run, the sandbox inside it on the node; see docs/hosting/slurm.md)'),
  dockerHost: z
    .string()
    .regex(/^unix:\/\/\/./, 'must be unix:///path/to/socket')
    .default('unix:///run/podman/podman.sock')
    .describe("socket of the container engine for the docker executor (podman's `podman system service`, or Docker's unix:///var/run/docker.sock)"),
  kubernetesNamespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace name')
    .default('holdout-runs')
    .describe("namespace of the kubernetes executor's Jobs, pods and NetworkPolicies (the worker's Role is limited to it)"),
  kubeconfig: z.string().optional().describe('kubeconfig file of the kubernetes executor; default KUBECONFIG, ~/.kube/config, else the service account of the pod the worker runs in'),
  kubernetesDataVolume: z
    .string()
    .refine((s) => isDataVolume(s), 'expected pvc:CLAIM, hostPath:/PATH or csi:DRIVER[:key=value,…]')
    .optional()
    .describe("volume the kubernetes executor's runs read the test features from (read-only): pvc:CLAIM, hostPath:/PATH or csi:DRIVER[:key=value,…], holding the same tree as <dataDir>/cache/bundles"),
  kubernetesRunUid: z.coerce.number().int().min(1).max(2 ** 31 - 1).default(65532).describe('non-root uid of the pods of the kubernetes executor'),
  kubernetesGraceSeconds: z.coerce.number().int().min(0).default(600).describe("seconds a run's Job may take beyond its wall time (scheduling, image pull, code in, outputs out)"),
  dataImages: z
    .enum(['auto', 'off'])
    .default('auto')
    .describe("test features as read-only data images: auto mounts a competition's image where this host can (root, erofs) and the executor runs on this host (sandbox, docker), else copies the files; off always copies"),
  dataPaths: z
    .string()
    .refine((s) => isDataPaths(s), 'expected slug=/path or slug:smoke=/path, comma-separated')
    .optional()
    .describe("folders already mounted on every worker that hold a competition's features (an NFS, Azure Files or disk volume): slug=/path for the test features, slug:smoke=/path for the smoke ones, comma-separated; checked against the digest recorded at install"),
  kubernetesGpus: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe("nvidia.com/gpu a kubernetes worker's runs may request from the cluster at once (its GPU offer; HOLDOUT_WORKER_GPUS stays none)"),
  kubernetesGpuRuntimeClass: z.string().optional().describe('RuntimeClass of kubernetes runs with GPUs (k3s with the NVIDIA container toolkit: nvidia); default the node\'s default runtime'),
  slurmSharedDir: z.string().optional().describe("folder of the slurm executor's job folders, on a file system the worker and every compute node share at this same path"),
  slurmPartition: z.string().optional().describe("partition of the slurm executor's jobs; default the cluster's default partition"),
  slurmSbatchArgs: z
    .string()
    .optional()
    .transform((s) => s?.split(/\s+/).filter(Boolean)).describe('more sbatch arguments of the slurm executor, separated by spaces (e.g. "--account=ml --qos=short")'),
  slurmNodeCommand: z
    .string()
    .optional()
    .transform((s) => s?.split(/\s+/).filter(Boolean)).describe("command that starts Holdout's node entry on a compute node, separated by spaces; default this worker's node and its dist/executors/slurm/node-entry.js"),
  slurmGraceSeconds: z.coerce.number().int().min(0).default(120).describe("seconds Slurm's time limit adds to a run's wall time (a backstop: the sandbox on the node stops the run at its wall time)"),
  slurmGpus: z.coerce.number().int().min(0).default(0).describe("GPUs (--gres=gpu) a slurm worker's runs may ask the cluster for at once (its GPU offer; the worker host's own GPUs are not offered)"),
  slurmExtraCpus: z.coerce.number().min(0).default(0).describe("CPUs asked of Slurm beyond a run's own, for Holdout's node entry (it pumps the run's log on the job's cores)"),
  slurmMemoryOverheadBytes: z.coerce.number().int().positive().default(256 * MiB).describe("memory asked of Slurm beyond a run's own, for Holdout's node entry"),
  sandboxRoot: z.string().optional().describe('scratch space for sandbox runs; default <tmpdir>/holdout-sandbox'),
  runtimesDir: z.string().optional().describe('folder of built runtimes ("holdout runtime build"); default <dataDir>/runtimes'),
  workers: z.coerce.number().int().min(0).max(64).default(1).describe('runs at once in the server process (0: none)'),
  maxUploadBytes: z.coerce.number().int().positive().default(500 * MiB).describe('largest submission.zip accepted'),
  uploadExpiryMinutes: z.coerce.number().int().positive().default(24 * 60).describe('minutes a resumable upload may rest between two chunks before it is removed with what it stored'),
  maxUnpackedBytes: z.coerce.number().int().positive().default(2048 * MiB).describe('largest unpacked submission'),
  maxFiles: z.coerce.number().int().positive().default(10_000).describe('most files in a submission'),
  leaseMs: z.coerce.number().int().positive().default(60_000).describe('how long a claimed submission stays with a silent worker'),
  maxAttempts: z.coerce.number().int().positive().default(3).describe('attempts before an infrastructure failure is final'),
  notifyRetryMs: z.coerce.number().int().positive().default(2000).describe('pause before the first retry of a failed webhook or e-mail delivery; each later retry waits 4 times longer'),
  notifyMaxAttempts: z.coerce.number().int().min(1).max(20).default(5).describe('tries of one webhook or e-mail delivery before it is recorded as failed'),
  webhookAllowPrivate: z
    .union([z.boolean(), z.stringbool()])
    .default(false)
    .describe('allow webhook URLs whose host is or resolves to a loopback, private, link-local or other non-public address (checked when set and again, after DNS, at every delivery); off by default so that hooks cannot reach the inside of your network'),
  smtpUrl: z
    .string()
    .regex(/^smtps?:\/\/[^/\s]+/, 'must be smtp://[user:password@]host[:port] or smtps://… (TLS from the start)')
    .optional()
    .describe('SMTP server for notification mails (run-ended mails to participants who opt in, alerts to hosts); none: no e-mail. A secret when it holds a password'),
  mailFrom: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/, 'must be an address (holdout@example.org) or "Name <holdout@example.org>"').optional().describe('From: of notification mails; required with HOLDOUT_SMTP_URL'),
  publicUrl: z.url().optional().describe("this server's address as users reach it (https://holdout.example.org), for links in notification mails; none: mails carry no links"),
  alertScanMs: z.coerce.number().int().positive().default(30_000).describe('how often the server looks for stalled queues, lost workers and storage errors to alert hosts about'),
  queueStallMs: z.coerce.number().int().positive().default(900_000).describe('a queue whose oldest submission waits longer than this while workers are registered raises a queue_stalled alert'),
  pollMs: z.coerce.number().int().positive().default(1000).describe('how often an idle worker looks for queued submissions'),
  deadlineGraceMs: z.coerce.number().int().positive().default(600_000).describe("time an attempt may take past its competition's wall time (fetch, unpack, score) before the worker ends it as an infrastructure failure"),
  queuedDeadlineMs: z.coerce.number().int().positive().default(86_400_000).describe('time a submission may stay queued before it is ended as an infrastructure failure (no worker could take it)'),
  drainMs: z.coerce.number().int().min(0).default(30_000).describe('on SIGTERM, how long a worker lets its runs finish before it hands them back'),
  workerCpus: z.coerce.number().positive().optional().describe("CPUs a worker offers; default: this host's"),
  workerMemoryBytes: z.coerce.number().int().positive().optional().describe("memory a worker offers, in bytes; default: this host's"),
  workerGpus: z
    .string()
    .regex(/^(all|none|\d+(,\d+)*)$/, 'expected "all", "none" or GPU ids like "0,1" (N of /dev/nvidiaN)')
    .default('none')
    .describe('GPUs a worker hands to runs: "all", "none" or ids like "0,1" (N of /dev/nvidiaN); workers sharing a host need disjoint ids'),
  gpuDevDir: z.string().default('/dev').describe('folder holding the NVIDIA device nodes (nvidia0, nvidiactl…)'),
  workerRuntimes: z
    .string()
    .optional()
    .transform((s) => s?.split(',').map((r) => r.trim()).filter(Boolean))
    .describe('comma-separated runtimes a worker runs; default: any its executor knows'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).superRefine((c, ctx) => {
  // Refused at start-up: otherwise a server would run until its first upload fails.
  if (c.executor === 'kubernetes' && !c.kubernetesDataVolume) {
    ctx.addIssue({ code: 'custom', path: ['kubernetesDataVolume'], message: 'required when HOLDOUT_EXECUTOR=kubernetes' });
  }
  if (c.executor === 'kubernetes' && c.workerGpus !== 'none') {
    ctx.addIssue({ code: 'custom', path: ['workerGpus'], message: "the kubernetes executor's GPUs are the cluster's: leave this none and set HOLDOUT_KUBERNETES_GPUS=N (nvidia.com/gpu its runs may request at once)" });
  }
  if (c.executor === 'slurm' && !c.slurmSharedDir) {
    ctx.addIssue({ code: 'custom', path: ['slurmSharedDir'], message: 'required when HOLDOUT_EXECUTOR=slurm (a folder every compute node sees at the same path)' });
  }
  if (c.blobStore === 'azure' && !c.azureConnectionString) {
    ctx.addIssue({ code: 'custom', path: ['azureConnectionString'], message: 'required when HOLDOUT_BLOB_STORE=azure' });
  }
  if (c.smtpUrl && !c.mailFrom) {
    ctx.addIssue({ code: 'custom', path: ['mailFrom'], message: 'required when HOLDOUT_SMTP_URL is set (the From: of notification mails)' });
  }
  if (!c.s3AccessKeyId !== !c.s3SecretAccessKey) {
    ctx.addIssue({ code: 'custom', path: [c.s3AccessKeyId ? 's3SecretAccessKey' : 's3AccessKeyId'], message: 'HOLDOUT_S3_ACCESS_KEY_ID and HOLDOUT_S3_SECRET_ACCESS_KEY go together' });
  }
});

export type Config = Readonly<z.infer<typeof schema> & { databaseUrl: string; blobDir: string; runtimesDir: string }>;

/** Reads HOLDOUT_<UPPER_SNAKE> variables; `overrides` win (tests and CLI flags). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof z.infer<typeof schema>, unknown>> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const name = `HOLDOUT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    if (env[name] !== undefined && env[name] !== '') raw[key] = env[name];
  }
  const parsed = schema.safeParse({ ...raw, ...overrides });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  HOLDOUT_${String(i.path[0] ?? '').replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const dataDir = path.resolve(c.dataDir);
  return Object.freeze({
    ...c,
    dataDir,
    databaseUrl: c.databaseUrl ?? `sqlite:${path.join(dataDir, 'holdout.db')}`,
    blobDir: path.resolve(c.blobDir ?? path.join(dataDir, 'blobs')),
    runtimesDir: path.resolve(c.runtimesDir ?? path.join(dataDir, 'runtimes')),
  });
}

/** One line per key, for `--help`. */
export function describeConfig(): string {
  return Object.entries(schema.shape)
    .map(([key, s]) => `HOLDOUT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}: ${s.description ?? ''}`)
    .join('\n');
}
