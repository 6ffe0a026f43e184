import net from 'node:net';

/** A TCP relay between a test's clients and a server: it counts who connects and can cut the line. */
export interface TcpRelay {
  /** Where it listens. */
  host: string;
  port: number;
  /** Connections so far, by client address. */
  seen: Map<string, number>;
  /** Drops every open connection and refuses new ones (closed at once) until `restore()`: a server that went away. */
  cut(): void;
  restore(): void;
  /** Forwards only `bytes` more from clients to the server, then holds the rest (a line gone quiet); undefined: all again. */
  stallAfter(bytes: number | undefined): void;
  /** Bytes forwarded from clients to the server so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

/** Relays TCP from `listenHost` (a free port) to `target`. */
export async function startRelay(listenHost: string, target: { host: string; port: number }): Promise<TcpRelay> {
  const seen = new Map<string, number>();
  const open = new Set<net.Socket>();
  let down = false;
  let budget: number | undefined;
  let forwarded = 0;
  const server = net.createServer((client) => {
    if (down) return void client.destroy();
    const from = client.remoteAddress ?? '?';
    seen.set(from, (seen.get(from) ?? 0) + 1);
    const upstream = net.connect(target.port, target.host);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    open.add(client).add(upstream);
    upstream.pipe(client);
    // By hand rather than piped, so that a stall can stop it at an exact byte.
    let stalled = false;
    client.on('data', (chunk: Buffer) => {
      const allowed = budget === undefined ? chunk.length : Math.max(0, Math.min(chunk.length, budget));
      if (budget !== undefined) budget -= allowed;
      forwarded += allowed;
      if (allowed > 0 && !upstream.write(allowed === chunk.length ? chunk : chunk.subarray(0, allowed))) client.pause();
      if (allowed < chunk.length) {
        stalled = true;
        client.pause();
      }
    });
    upstream.on('drain', () => !stalled && client.resume());
    client.on('end', () => upstream.end());
    for (const end of [client, upstream]) end.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, listenHost, resolve));
  const cutAll = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  return {
    host: listenHost,
    port: (server.address() as net.AddressInfo).port,
    seen,
    cut: () => {
      down = true;
      cutAll();
    },
    restore: () => {
      down = false;
    },
    stallAfter: (bytes) => {
      budget = bytes;
    },
    get forwarded() {
      return forwarded;
    },
    close: () => {
      cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
