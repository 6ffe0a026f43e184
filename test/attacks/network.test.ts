import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { assertRefused, attemptOf, reportOf, startBench, type AttackBench } from './attack-harness.js';

/** Listeners on the host that record whatever reaches them. */
interface Traps {
  tcp: Server;
  abstract: Server;
  udp: UdpSocket;
  seen: string[];
}

async function listen(server: Server, where: number | string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (typeof where === 'number') server.listen(where, '127.0.0.1', resolve);
    else server.listen(where, resolve);
  });
}

async function setTraps(abstractName: string): Promise<Traps> {
  const seen: string[] = [];
  const tcp = createServer((s) => {
    seen.push(`tcp from ${s.remoteAddress}`);
    s.destroy();
  });
  const abstract = createServer((s) => {
    seen.push('abstract unix socket');
    s.destroy();
  });
  await listen(tcp, 0);
  await listen(abstract, `\0${abstractName}`);
  const udp = createSocket('udp4');
  udp.on('message', (m, from) => seen.push(`udp from ${from.address}: ${m.toString()}`));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  return { tcp, abstract, udp, seen };
}

/** The host's own addresses besides loopback: a sandbox with a network could reach them. */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && a.family === 'IPv4')
    .map((a) => a?.address ?? '');
}

describe('attack: network', () => {
  let b: AttackBench;
  let traps: Traps;
  let report: Record<string, unknown>;
  let final: Record<string, unknown>;

  before(async () => {
    b = await startBench();
    const abstractName = `holdout-attack-${randomUUID()}`;
    traps = await setTraps(abstractName);
    const id = await b.submit('network', {
      settings: {
        tcp_port: (traps.tcp.address() as AddressInfo).port,
        udp_port: traps.udp.address().port,
        platform_port: Number(new URL(b.h.url).port),
        host_ips: hostAddresses(),
        abstract: abstractName,
      },
    });
    final = await b.final(id);
    report = reportOf(await b.storedLog(id));
  });
  after(async () => {
    traps.tcp.close();
    traps.abstract.close();
    traps.udp.close();
    await b.close();
  });

  it('runs to the end (the attempts fail, the run does not)', () => {
    assert.equal(final.status, 'scored', JSON.stringify(final));
  });

  it('sees no network interface but loopback', () => {
    assert.deepEqual(report.interfaces, ['lo']);
  });

  it('cannot open a TCP connection to a server on the host', () => {
    assertRefused(report, 'tcp_test_server', ['ECONNREFUSED']);
    assertRefused(report, 'tcp_test_server_ipv6');
    assert.ok(!traps.seen.some((s) => s.startsWith('tcp')), `the host server saw: ${traps.seen.join('; ')}`);
  });

  it("cannot reach the platform's own HTTP port", () => {
    assertRefused(report, 'tcp_platform_http', ['ECONNREFUSED']);
    assertRefused(report, 'tcp_platform_localhost', ['ECONNREFUSED']);
  });

  it("cannot reach the host's other addresses or the internet", () => {
    const names = Object.keys(report).filter((k) => /^(tcp|udp)_host_ip_/.test(k));
    for (const name of names) assertRefused(report, name, ['ENETUNREACH']);
    assertRefused(report, 'tcp_internet', ['ENETUNREACH']);
    assertRefused(report, 'udp_internet', ['ENETUNREACH']);
  });

  it('sends no UDP datagram to the host', async () => {
    // Sending to its own loopback is allowed locally; the host socket must hear nothing.
    attemptOf(report, 'udp_test_socket');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!traps.seen.some((s) => s.startsWith('udp')), `the host UDP socket got: ${traps.seen.join('; ')}`);
  });

  it('resolves no names and reaches no DNS server', () => {
    assertRefused(report, 'dns_resolve');
    assertRefused(report, 'dns_query_public', ['ENETUNREACH']);
    assertRefused(report, 'dns_query_local');
  });

  it("cannot connect to the host's abstract unix sockets", () => {
    assertRefused(report, 'abstract_unix_socket', ['ECONNREFUSED']);
    assert.ok(!traps.seen.includes('abstract unix socket'), 'the host abstract socket saw a connection');
  });

  it('cannot open raw, ping or packet sockets', () => {
    assertRefused(report, 'raw_socket', ['EPERM']);
    assertRefused(report, 'ping_socket', ['EACCES', 'EPERM']);
    assertRefused(report, 'packet_socket', ['EPERM']);
  });
});
