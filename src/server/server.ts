import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJsonLogger, type Logger } from '../common/logger.js';
import { HelloServiceService } from '../gen/wid/demo/v1/hello.js';
import {
  createAuthInterceptor,
  createMultiIssuerVerifier,
  createVerifier,
  discoverJwksUri,
  jwksFile,
  publicMethods,
  publicMethodsFromDescriptors,
  remoteJwks,
  subjectAllowList,
  type KeySource,
} from './auth/index.js';
import type { ServerConfig, TrustedIssuer } from './config.js';
import { InFlightCalls, shutdownGracefully } from './graceful-shutdown.js';
import { helloService } from './hello-service.js';
import { embeddedFileDescriptors, reflectionDefinition } from './descriptors.js';

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  /** The key source of each trusted issuer, by issuer URL. */
  readonly keySources: ReadonlyMap<string, KeySource>;
  readonly health: HealthImplementation;
  /** Resolves when usable keys are held and health reports SERVING. */
  readonly ready: Promise<void>;
  /** Stops accepting calls, lets in-flight ones finish for up to `graceMs`, then cancels the rest. */
  shutdown(graceMs?: number): Promise<void>;
}

const SERVICE_NAME = 'wid.demo.v1.HelloService';

/** Builds key source, verifier and interceptor from the config, and serves the reference service. */
export async function startServer(config: ServerConfig, logger: Logger = createJsonLogger({ name: 'server' })): Promise<RunningServer> {
  const keySources = new Map(config.issuers.map((trusted) => [trusted.issuer, createKeySource(trusted, config, logger)]));
  const verifiers = config.issuers.map((trusted) => ({
    issuer: trusted.issuer,
    verifier: createVerifier({
      issuer: trusted.issuer,
      audience: trusted.audience,
      keys: keySources.get(trusted.issuer) as KeySource,
      clockSkewSeconds: config.clockSkewSeconds,
      maxLifetimeSeconds: config.maxTokenLifetimeSeconds,
      cacheSize: config.tokenCacheSize,
    }),
  }));
  const descriptors = embeddedFileDescriptors();
  const interceptor = createAuthInterceptor({
    verifier: createMultiIssuerVerifier(verifiers),
    endStreamsOnExpiry: config.endStreamsOnExpiry,
    publicMethods: publicMethods(publicMethodsFromDescriptors(descriptors)),
    ...(config.authorizedSubjects.length > 0 ? { authorize: subjectAllowList(config.authorizedSubjects) } : {}),
    logger,
  });

  const inFlight = new InFlightCalls();
  const server = new Server({
    // The tracker first, so calls refused by authentication are counted as finished too.
    interceptors: [inFlight.interceptor, interceptor],
    'grpc.max_concurrent_streams': config.maxConcurrentStreams,
    'grpc.max_receive_message_length': config.maxReceiveMessageBytes,
  });
  server.addService(HelloServiceService, helloService);
  // '' and the service name report readiness (keys held); `liveness` only that the process answers, so an
  // issuer outage makes pods unready without restarting them.
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING', liveness: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(reflectionDefinition(descriptors)).addToServer(server);

  const credentials =
    config.tlsCert !== undefined && config.tlsKey !== undefined
      ? ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(config.tlsCert), private_key: readFileSync(config.tlsKey) }])
      : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${config.host}:${config.port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  logger.info('server listening', {
    address: `${config.host}:${port}`,
    tls: config.tlsCert !== undefined,
    issuers: config.issuers.map(({ issuer, audience }) => ({ issuer, audience })),
  });

  const stopped = new AbortController();
  // Ready once every trusted issuer's keys are held.
  const ready = Promise.all([...keySources].map(([issuer, keys]) => loadKeysUntilReady(issuer, keys, stopped.signal, logger))).then(() => {
    health.setStatus('', 'SERVING');
    health.setStatus(SERVICE_NAME, 'SERVING');
    logger.info('serving: keys of every trusted issuer loaded');
  });
  ready.catch(() => {});

  return {
    server,
    port,
    keySources,
    health,
    ready,
    async shutdown(graceMs = config.shutdownGraceSeconds * 1000) {
      stopped.abort();
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(SERVICE_NAME, 'NOT_SERVING');
      await shutdownGracefully(server, inFlight, graceMs, logger);
      for (const keys of keySources.values()) keys.close();
    },
  };
}

function createKeySource(trusted: TrustedIssuer, config: ServerConfig, logger: Logger): KeySource {
  if (trusted.jwksFile !== undefined) return jwksFile(trusted.jwksFile);
  const ca = trusted.caFile !== undefined ? readFileSync(trusted.caFile) : undefined;
  const headers = issuerAuthorization(trusted);
  const uri = trusted.jwksUri !== undefined ? new URL(trusted.jwksUri) : discoverJwksUri(trusted.issuer, { allowHttp: trusted.allowHttp, ca, headers });
  return remoteJwks(uri, { logger, ca, headers, maxStaleMs: config.keysMaxStaleSeconds * 1000 });
}

/**
 * The pod's token for an issuer that requires authentication (kube-apiserver), re-read per fetch since
 * kubelet rotates it, and sent only to the hosts the operator named (issuer, JWKS_URI), never to a host
 * that a discovery document advertises.
 */
function issuerAuthorization(trusted: TrustedIssuer): ((url: URL) => Record<string, string> | undefined) | undefined {
  const tokenFile = trusted.tokenFile;
  if (tokenFile === undefined) return undefined;
  const trustedHosts = new Set([new URL(trusted.issuer).host, ...(trusted.jwksUri !== undefined ? [new URL(trusted.jwksUri).host] : [])]);
  return (url) => (trustedHosts.has(url.host) ? { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` } : undefined);
}

/** Retries the first key load with backoff (0.5 s doubling to 30 s) until it succeeds or the server stops. */
async function loadKeysUntilReady(issuer: string, keys: KeySource, signal: AbortSignal, logger: Logger): Promise<void> {
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      await keys.load();
      logger.info('issuer keys loaded', { issuer, kids: keys.status().kids });
      return;
    } catch (error) {
      const delay = Math.min(30_000, 500 * 2 ** attempt);
      logger.warn('issuer keys not loaded yet: health reports NOT_SERVING', { issuer, error: (error as Error).message, retry_in_ms: delay });
      await sleep(delay, undefined, { signal, ref: false }).catch(() => {});
    }
  }
  throw new Error('server stopped before keys were loaded');
}
