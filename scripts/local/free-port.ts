import net from 'node:net';

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

/** Where `freePortBlock` looks: below the kernel's ephemeral range (32768 on), see below. */
const BLOCK_RANGE = { from: 20_000, to: 32_000 };

/**
 * `count` consecutive ports free on 127.0.0.1, all held at once while checked (so none is the
 * same as another), and below the range the kernel hands out for port 0 and for outgoing
 * connections: between this call and their use, no `freePort` and no client socket of another
 * process is given one of them. A local stack's ports come from one block, its trading tasks
 * counting up from the last (a port freed here and then taken by PostgreSQL as a task's next port
 * failed a CI run with EADDRINUSE).
 */
export async function freePortBlock(count: number): Promise<number> {
  const listen = (port: number) =>
    new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const base =
      BLOCK_RANGE.from + Math.floor(Math.random() * (BLOCK_RANGE.to - BLOCK_RANGE.from - count));
    const held: net.Server[] = [];
    try {
      for (let i = 0; i < count; i += 1) held.push(await listen(base + i));
      return base;
    } catch {
      // One of them is taken: another block.
    } finally {
      await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  }
  throw new Error(`no ${count} consecutive free ports on 127.0.0.1 in 100 tries`);
}
