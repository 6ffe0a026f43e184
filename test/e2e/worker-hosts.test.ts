import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { testDialects } from '../../src/db/test-databases.case.js';
import { startAzurite, type Azurite } from '../helpers/azurite.js';
import { startHoldout, upload, type TestHoldout } from '../helpers/holdout-server.js';
import { startRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { trivialSubmission } from '../helpers/trivial-submission.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/*
 * Issue 7, part 7: workers on "other hosts". Each worker runs in a network namespace of its own
 * (and a UTS namespace with its own hostname) whose only link is a veth pair to this machine on a
 * private /30 of 10.231.X.0/24, with a data folder of its own (cache, scratch). PostgreSQL and the
 * blob store (Azurite, Azure's storage emulator) listen on loopback only; a small TCP relay per
 * service on the host end of each veth pair is the one way to them. Nothing is shared on disk.
 */
const run = promisify(execFile);
const postgres = testDialects.find((d) => d.name === 'postgres');
const hasIp = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((f) => existsSync(f));
const azurite = await startAzurite().catch((err: Error) => err);
after(() => (azurite instanceof Error ? undefined : azurite.stop()));
const skip =
  azurite instanceof Error
    ? `Azurite did not start: ${azurite.message}`
    : process.getuid?.() !== 0
    ? 'network namespaces need root'
    : !hasIp
      ? 'the ip tool is missing (apt-get install iproute2)'
      : postgres?.skip || (!postgres ? 'no PostgreSQL dialect' : false);

interface Host {
  ns: string;
  hostname: string;
  /** Host end of the veth pair: where the relay listens. */
  gateway: string;
  /** The namespace's own address. */
  address: string;
}

describe('workers on separate hosts (network namespaces) reach PostgreSQL only over their own network', { skip }, () => {
  const tag = `${process.pid % 10_000}${randomInt(10)}`;
  const subnet = `10.231.${randomInt(256)}`;
  const hosts: Host[] = [1, 2].map((i) => ({ ns: `holdout-${tag}-${i}`, hostname: `worker-host-${i}`, gateway: `${subnet}.${4 * i + 1}`, address: `${subnet}.${4 * i + 2}` }));
  const relays = new Map<string, { db: TcpRelay; blobs: TcpRelay }>();
  const container = `hosts-${randomUUID()}`;
  const dataDirs: string[] = [];
  const workers: WorkerProcess[] = [];
  let h: TestHoldout;

  before(async () => {
    for (const [i, host] of hosts.entries()) {
      const [a, b] = [`hd${tag}${i}a`, `hd${tag}${i}b`];
      await run('ip', ['netns', 'add', host.ns]);
      await run('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      await run('ip', ['link', 'set', b, 'netns', host.ns]);
      await run('ip', ['addr', 'add', `${host.gateway}/30`, 'dev', a]);
      await run('ip', ['link', 'set', a, 'up']);
      await run('ip', ['-n', host.ns, 'addr', 'add', `${host.address}/30`, 'dev', b]);
      await run('ip', ['-n', host.ns, 'link', 'set', b, 'up']);
      await run('ip', ['-n', host.ns, 'link', 'set', 'lo', 'up']);
    }
    const { connectionString } = azurite as Azurite;
    h = await startHoldout({ ...(postgres ? { dialect: postgres } : {}), config: { workers: 0, blobStore: 'azure', azureConnectionString: connectionString, azureContainer: container } });
  });
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await Promise.all([...relays.values()].flatMap((r) => [r.db.close(), r.blobs.close()]));
    await h?.close();
    // Deleting a namespace deletes its end of the veth pair, and with it the host's end.
    for (const host of hosts) await run('ip', ['netns', 'del', host.ns]).catch(() => undefined);
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  it('runs submissions with one worker per host, each registered under its own hostname', async () => {
    const db = new URL(h.ctx.config.databaseUrl);
    const blobs = new URL((azurite as Azurite).endpoint);
    for (const host of hosts) {
      const dbRelay = await startRelay(host.gateway, { host: db.hostname, port: Number(db.port) });
      const blobRelay = await startRelay(host.gateway, { host: blobs.hostname, port: Number(blobs.port) });
      relays.set(host.ns, { db: dbRelay, blobs: blobRelay });
      const url = new URL(db);
      url.hostname = host.gateway;
      url.port = String(dbRelay.port);
      const blobEndpoint = new URL(blobs);
      blobEndpoint.hostname = host.gateway;
      blobEndpoint.port = String(blobRelay.port);
      // From inside, the loopback addresses of the database and the blob store are out of reach: only the veth pair leads out.
      for (const port of [db.port, blobs.port]) {
        const probe = `require("net").connect(${port}, "127.0.0.1").on("connect", () => process.exit(0)).on("error", () => process.exit(7))`;
        const direct = await run('nsenter', [`--net=/run/netns/${host.ns}`, '--', process.execPath, '-e', probe]).then(() => 0, (e: { code: number }) => e.code);
        assert.equal(direct, 7, `${host.ns} cannot reach 127.0.0.1:${port}`);
      }
      const dataDir = await mkdtemp(path.join(tmpdir(), `holdout-${host.hostname}-`));
      dataDirs.push(dataDir);
      workers.push(
        await spawnWorker({
          dataDir,
          databaseUrl: url.toString(),
          env: {
            HOLDOUT_BLOB_STORE: 'azure',
            HOLDOUT_AZURE_CONNECTION_STRING: (azurite as Azurite).connectionString.replace(blobs.origin, blobEndpoint.origin),
            HOLDOUT_AZURE_CONTAINER: container,
          },
          // nsenter, not `ip netns exec`: that also remounts /sys, hiding the cgroups runs need.
          wrap: ['nsenter', `--net=/run/netns/${host.ns}`, '--', 'unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', host.hostname],
        }),
      );
    }

    const token = await h.participant();
    const zip = await trivialSubmission({ sleepSeconds: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const sent = await upload(h.url, token, 'digits', zip);
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      ids.push(String(sent.body.id));
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rows = await Promise.all(ids.map((id) => h.ctx.submissions.get(id)));
      if (rows.every((r) => r?.status === 'scored')) break;
      assert.ok(Date.now() < deadline, `not all scored: ${rows.map((r) => r?.status).join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const listed = await h.ctx.workers.list(h.ctx.config.leaseMs);
    assert.deepEqual(listed.map((w) => w.hostname).sort(), hosts.map((x) => x.hostname));
    const byWorker = new Set((await h.ctx.db.selectFrom('submission_attempts').select('worker_id').execute()).map((a) => a.worker_id));
    assert.deepEqual([...byWorker].sort(), workers.map((w) => w.id).sort(), 'both hosts ran submissions');
    assert.ok(byWorker.size === 2 && [...byWorker].every((id) => hosts.some((x) => id.startsWith(x.hostname))));
    for (const host of hosts) {
      assert.ok((relays.get(host.ns)?.db.seen.get(host.address) ?? 0) > 0, `${host.ns} reached the database through its veth pair`);
      assert.ok((relays.get(host.ns)?.blobs.seen.get(host.address) ?? 0) > 0, `${host.ns} reached the blob store through its veth pair`);
    }
    for (const dir of [h.dataDir, ...dataDirs]) assert.ok(!existsSync(path.join(dir, 'blobs')), `no blob folder in ${dir}`);

    for (const w of workers) w.kill('SIGTERM');
    assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), [0, 0]);
  });
});
