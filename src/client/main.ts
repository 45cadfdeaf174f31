import { createJsonLogger } from '../common/logger.js';
import { runClientProgram } from './client-program.js';
import { ClientConfigError, clientUsage, loadClientConfig } from './config.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(clientUsage());
  process.exit(0);
}

const logger = createJsonLogger({ name: 'client', write: (line) => process.stdout.write(line) });
try {
  const config = loadClientConfig(argv, process.env);
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  logger.info('client starting', { endpoint: config.endpoint, identity: config.identity, token_file: config.tokenFile, tls: !config.plaintext });
  await runClientProgram({ ...config, logger, signal: stop.signal });
  logger.info('client stopped');
} catch (error) {
  console.error(`client: ${(error as Error).message}`);
  process.exit(error instanceof ClientConfigError ? 2 : 1);
}
