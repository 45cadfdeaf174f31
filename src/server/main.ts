import { createJsonLogger } from '../common/logger.js';
import { ConfigError, loadServerConfig, serverUsage } from './config.js';
import { startServer } from './server.js';

const logger = createJsonLogger({ name: 'server' });
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(serverUsage());
  process.exit(0);
}

try {
  const running = await startServer(loadServerConfig(argv, process.env), logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    running.shutdown().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`server: ${error.message}`);
    process.exit(2);
  }
  console.error(`server: cannot start: ${(error as Error).message}`);
  process.exit(1);
}
