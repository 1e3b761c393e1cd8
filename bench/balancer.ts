/**
 * A small TCP load balancer for the storm bench, in a process of its own (it holds two sockets per
 * client). Each new connection goes to the backend of the moment; `route()` changes it, as a
 * platform router takes a stopping node out of rotation. Open connections stay on their backend
 * until one side closes them, which closes the other.
 *
 * As a child process (IPC): started with the first backend's port as argument, it sends
 * `{ port }` once listening and takes `{ route: port }` messages.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface Balancer {
  port: number;
  pid: number;
  /** New connections go to this port on 127.0.0.1 from now on. */
  route(port: number): void;
  close(): Promise<void>;
}

/** Starts the balancer process, pinned to `core`, sending new connections to `firstBackend`. */
export async function startBalancer(firstBackend: number, core: number): Promise<Balancer> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [String(firstBackend)], {
    execPath: 'taskset',
    execArgv: ['-c', String(core), process.execPath, '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (msg: { port: number }) => resolve(msg.port));
    child.once('exit', (code) => reject(new Error(`balancer exited (${code})`)));
  });
  return {
    port,
    pid: child.pid as number,
    route: (to) => child.send({ route: to }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function serve(firstBackend: number): void {
  let backend = firstBackend;
  const server = createServer((client) => {
    const upstream = connect(backend, '127.0.0.1');
    for (const socket of [client, upstream] as Socket[]) {
      socket.setNoDelay(true);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    process.send?.({ port: (server.address() as { port: number }).port });
  });
  process.on('message', (msg: { route: number }) => {
    backend = msg.route;
  });
  // The bench going away must not leave the balancer behind.
  process.on('disconnect', () => process.exit(0));
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) serve(Number(process.argv[2]));
