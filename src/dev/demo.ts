import { mkdirSync, writeFileSync } from 'node:fs';
import { runClientProgram } from '../client/client-program.js';
import { createJsonLogger } from '../common/logger.js';
import { loadServerConfig } from '../server/config.js';
import { startServer } from '../server/server.js';
import { DEMO, devPaths, devStateDir } from './dev-state.js';
import { LocalIssuer } from './local-issuer.js';
import { ProjectedTokenWriter } from './projected-token-writer.js';
import { loadOrCreateSigningKey } from './signing-key.js';

// `npm start`: the whole picture on one machine, no cluster. A local issuer stands in for the cluster's,
// a writer rotates the projected token as kubelet does, the server verifies, the client calls.
const logFor = (name: string) => createJsonLogger({ name, format: 'text', write: (line) => process.stdout.write(line) });
const log = logFor('demo');
const paths = devPaths(devStateDir());
const rotateEveryMs = 20_000;

mkdirSync(paths.tokenDir, { recursive: true, mode: 0o700 });
const issuer = await LocalIssuer.start({ port: DEMO.issuerPort, key: loadOrCreateSigningKey(paths.issuerKey) });
writeFileSync(paths.issuerInfo, `${JSON.stringify({ issuer: issuer.issuer, audience: DEMO.audience })}\n`);
log.info('local issuer up', { issuer: issuer.issuer, kid: issuer.signingKey.kid });

const server = await startServer(
  loadServerConfig([], { ID_ISSUER: issuer.issuer, JWT_AUDIENCE: DEMO.audience, ALLOW_HTTP_ISSUER: 'true', HOST: '127.0.0.1', PORT: String(DEMO.serverPort) }),
  logFor('server'),
);
await server.ready;

const writer = new ProjectedTokenWriter(paths.tokenDir);
const rotate = async (): Promise<void> => {
  await writer.write(issuer.mint({ audiences: [DEMO.audience], namespace: DEMO.namespace, serviceAccount: DEMO.serviceAccount, expirationSeconds: 600 }));
  log.info('kubelet stand-in wrote a fresh token', { path: writer.tokenPath });
};
await rotate();
const rotation = setInterval(() => void rotate(), rotateEveryMs);

log.info('try it from another terminal', {
  grpcurl: `grpcurl -plaintext -H "authorization: Bearer $(npm run -s mint)" localhost:${server.port} wid.demo.v1.HelloService/WhoAmI`,
});

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
await runClientProgram({
  endpoint: `127.0.0.1:${server.port}`,
  tokenFile: writer.tokenPath,
  plaintext: true,
  intervalMs: Number(process.env.INTERVAL_MS ?? 5_000),
  streamCount: 0,
  rounds: Number(process.env.ROUNDS ?? 0),
  showRefusal: true,
  name: 'demo',
  signal: stop.signal,
  logger: logFor('client'),
});

clearInterval(rotation);
await server.shutdown(2_000);
await issuer.close();
log.info('demo stopped');
