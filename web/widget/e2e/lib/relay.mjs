// A TCP relay in front of chatproxy that can cut every open connection at once, the way a
// phone switching networks does. (Chromium's offline emulation only fails new requests; a
// stream already flowing keeps flowing, so it cannot test resume on its own.)
import { connect, createServer } from 'node:net';

export async function startRelay({ port, target }) {
  const sockets = new Set();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    /** Drops every open connection and refuses new ones until up(). */
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      down = false;
    },
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
