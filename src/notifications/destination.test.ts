import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { checkWebhookUrl, DestinationRefused, guardedLookup, nonPublicKind } from './destination.js';
import { webhookChannel } from './webhook-channel.js';
import type { NotificationRow } from '../db/schema.js';

describe('nonPublicKind', () => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', 'loopback'], ['127.9.9.9', 'loopback'], ['::1', 'loopback'], ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'], ['fd12:3456::1', 'private (unique local)'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'], ['100.64.0.1', 'shared (carrier-grade NAT)'], ['224.0.0.1', 'multicast'],
    // IPv6 spellings of inside IPv4 addresses are judged by the IPv4 address they carry.
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:a00:1', 'private'], ['64:ff9b::a9fe:a9fe', 'link-local'], ['2002:c0a8:0101::1', 'private'],
    ['8.8.8.8', undefined], ['172.32.0.1', undefined], ['93.184.216.34', undefined], ['2606:4700:4700::1111', undefined], ['::ffff:8.8.8.8', undefined],
    ['example.org', 'not an IP address'],
  ];
  for (const [address, kind] of cases) {
    it(`${address} → ${kind ?? 'public'}`, () => assert.equal(nonPublicKind(address), kind));
  }
});

describe('checkWebhookUrl', () => {
  it('refuses IP literals and names that resolve inside, with a message naming the address and the setting', async () => {
    await assert.rejects(checkWebhookUrl('http://127.0.0.1:8080/hook', false), (e: Error) => e instanceof DestinationRefused && /127\.0\.0\.1 is a loopback address.*HOLDOUT_WEBHOOK_ALLOW_PRIVATE=1/.test(e.message));
    await assert.rejects(checkWebhookUrl('http://[::1]/hook', false), /::1 is a loopback address/);
    await assert.rejects(checkWebhookUrl('http://169.254.169.254/latest/meta-data', false), /link-local/);
    await assert.rejects(checkWebhookUrl('http://localhost:9/x', false), /localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
  });

  it('refuses a name when any of its addresses is inside (one public answer does not make it safe)', async () => {
    const resolve = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }];
    await assert.rejects(checkWebhookUrl('https://hooks.example.org/x', false, resolve), /hooks\.example\.org resolves to 10\.0\.0\.5, a private address/);
    await checkWebhookUrl('https://hooks.example.org/x', false, async () => [{ address: '93.184.216.34', family: 4 }]);
    await assert.rejects(checkWebhookUrl('https://nowhere.invalid/x', false), /does not resolve/);
  });

  it('allows anything when the configuration allows private addresses', async () => {
    await checkWebhookUrl('http://127.0.0.1:8080/hook', true);
    await checkWebhookUrl('http://localhost/hook', true);
  });
});

describe('at delivery', () => {
  let hits = 0;
  const receiver = createServer((_req, res) => {
    hits++;
    res.statusCode = 204;
    res.end();
  });
  let port = 0;
  before(async () => {
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    port = (receiver.address() as AddressInfo).port;
  });
  after(() => receiver.close());

  it("the guarded lookup refuses a name that resolves inside at the moment of connecting (DNS rebinding)", async () => {
    const err = await new Promise<Error>((resolve) => {
      const req = request({ host: 'localhost', port, path: '/', lookup: guardedLookup() }, () => resolve(new Error('connected')));
      req.on('error', resolve);
      req.end();
    });
    assert.ok(err instanceof DestinationRefused, err.message);
    assert.equal(hits, 0);
  });

  it('a webhook set while private addresses were allowed is refused once they are not, and is sent while they are', async () => {
    const row = { id: 'd1', kind: 'run_ended', channel: 'webhook', target: `http://localhost:${port}/hook`, body: '{}' } as NotificationRow;
    await assert.rejects(webhookChannel({ allowPrivate: false }).send(row, null), /localhost resolves to .*loopback/);
    assert.equal(hits, 0);
    await webhookChannel({ allowPrivate: true }).send(row, 'secret');
    assert.equal(hits, 1);
  });
});
