import { buildApp } from './src/app.js';
import { ConfigError, configHelp, loadConfig } from './src/config.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(configHelp());
  process.exit(0);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`roomcast: ${err.message}\n`);
  process.exit(1);
}

const roomcast = await buildApp(config);
const { app } = roomcast;

function stop(signal: string): void {
  app.log.info({ signal }, 'shutting down');
  setTimeout(() => {
    app.log.error('shutdown took too long, exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs).unref();
  roomcast.close().then(
    () => process.exit(0),
    (err: unknown) => {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}
// The last line of defence for a long-running server: a stray rejection (a dependency's
// fire-and-forget promise during an outage) is logged, and the process keeps serving.
process.on('unhandledRejection', (err) => app.log.error({ err }, 'unhandled promise rejection'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

try {
  // A reconnect storm (another node draining into this one) queues connections faster than one
  // event-loop turn accepts them: past Node's default backlog of 511 the kernel drops SYNs, and
  // each dropped client waits 1, 3, 7 s to retry. The kernel caps it at net.core.somaxconn.
  await app.listen({ port: config.port, host: config.host, backlog: 4096 });
} catch (err) {
  app.log.fatal({ err }, 'could not listen');
  process.exit(1);
}
