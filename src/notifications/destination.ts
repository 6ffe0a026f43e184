/**
 * Where a webhook may point. A hook is a URL any participant sets and the server then calls: left
 * open, it reaches the server's own loopback services, the cloud's metadata address and the rest
 * of the private network (server-side request forgery). So only public addresses are allowed,
 * unless the host's configuration says otherwise (HOLDOUT_WEBHOOK_ALLOW_PRIVATE).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Ranges that are not the public internet, with the word a refusal uses. */
const ranges: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fc00::', 7, 'ipv6', 'private (unique local)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];
const lists = ranges.map(([net, prefix, type, word]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, type, word };
});

/** IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4): judged by that address. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower) ?? /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower);
  if (!hex) return undefined;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/**
 * Why `address` (an IP literal) is not a public internet address, e.g. "loopback"; undefined when
 * it is public. Anything that is not an IP address at all counts as not public.
 */
export function nonPublicKind(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v = isIP(bare);
  if (v === 0) return 'not an IP address';
  const v4 = v === 6 ? embeddedIpv4(bare) : bare;
  if (v4 !== undefined) return lists.find((l) => l.type === 'ipv4' && l.list.check(v4, 'ipv4'))?.word;
  return lists.find((l) => l.type === 'ipv6' && l.list.check(bare, 'ipv6'))?.word;
}

/** A webhook destination this server refuses; the message says why, for a 400 or a delivery record. */
export class DestinationRefused extends Error {}

const allowHint = 'this server sends webhooks only to public addresses (its admin may allow others with HOLDOUT_WEBHOOK_ALLOW_PRIVATE=1)';

function refuseUnlessPublic(host: string, address: string): void {
  const kind = nonPublicKind(address);
  if (kind) throw new DestinationRefused(host === address ? `${host} is a ${kind} address; ${allowHint}` : `${host} resolves to ${address}, a ${kind} address; ${allowHint}`);
}

type Resolve = (host: string) => Promise<LookupAddress[]>;
const resolveAll: Resolve = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/**
 * Checks a webhook URL when someone sets it: every address its host resolves to must be public
 * (unless `allowPrivate`). Throws {@link DestinationRefused} with a message for the user.
 * @remarks Not enough alone (DNS may answer differently later): deliveries check again, see {@link guardedLookup}.
 */
export async function checkWebhookUrl(url: string, allowPrivate: boolean, resolve: Resolve = resolveAll): Promise<void> {
  if (allowPrivate) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return refuseUnlessPublic(host, host);
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    throw new DestinationRefused(`the host ${host} of the webhook URL does not resolve (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (addresses.length === 0) throw new DestinationRefused(`the host ${host} of the webhook URL has no address`);
  for (const a of addresses) refuseUnlessPublic(host, a.address);
}

/**
 * The DNS lookup a delivery connects with: it refuses non-public answers at the moment of the
 * connection, so a name that resolved to a public address when it was set cannot be re-pointed
 * at an inside one later (DNS rebinding). IP literals skip lookups: check them with {@link checkWebhookUrl}.
 */
export function guardedLookup(): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      try {
        for (const a of list) refuseUnlessPublic(hostname, a.address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}
