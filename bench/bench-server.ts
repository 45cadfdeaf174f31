/**
 * The server under test: the library's interceptor in front of the reference service, on loopback,
 * keys from a JWKS file. BENCH_PUBLIC=all replaces authentication with an interceptor that hands every
 * call one fixed identity without looking at any token: the no-authentication baseline, running the
 * very same handlers. BENCH_TLS_CERT/BENCH_TLS_KEY serve TLS. Started by the driver with IPC; answers
 * `stats` with its CPU time and memory.
 */
import { type ServerInterceptor, Server, ServerCredentials, ServerInterceptingCall } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { silentLogger } from '../src/common/logger.js';
import { HelloServiceService } from '../src/gen/wid/demo/v1/hello.js';
import { bindIdentity } from '../src/server/auth/call-identity.js';
import { createAuthInterceptor, createVerifier, jwksFile, publicMethods, publicMethodsFromDescriptors, type TokenVerifier, type WorkloadIdentity } from '../src/server/auth/index.js';
import { embeddedFileDescriptors } from '../src/server/descriptors.js';
import { helloService } from '../src/server/hello-service.js';
import { ownStats, type ServerReply, type StatsRequest } from './support/protocol.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const interceptor = process.env.BENCH_PUBLIC === 'all' ? fixedIdentity() : authInterceptor();
const server = new Server({ interceptors: [interceptor], 'grpc.max_concurrent_streams': 1_000 });
server.addService(HelloServiceService, helloService);

const send = (reply: ServerReply): void => void process.send?.(reply);
const tls = process.env.BENCH_TLS_CERT && process.env.BENCH_TLS_KEY ? { cert_chain: readFileSync(process.env.BENCH_TLS_CERT), private_key: readFileSync(process.env.BENCH_TLS_KEY) } : undefined;
const serverCredentials = tls === undefined ? ServerCredentials.createInsecure() : ServerCredentials.createSsl(null, [tls]);
server.bindAsync('127.0.0.1:0', serverCredentials, (error, port) => {
  if (error) throw error;
  send({ type: 'listening', port });
});
process.on('message', (message: StatsRequest) => {
  if (message.type === 'stats') send({ type: 'stats', stats: { ...ownStats(message.gc), admission: { calls: admission.calls, micros: Number(admission.nanos) / 1000 } } });
});
const exit = (): void => {
  server.forceShutdown();
  process.exit(0);
};
process.on('disconnect', exit);
process.on('SIGTERM', exit);

/** With BENCH_TIME_ADMISSION=1: the time the interceptor spends in `verifier.lookupOrVerify()`, in this busy server. */
const admission = { calls: 0, nanos: 0n };

function authInterceptor(): ServerInterceptor {
  const verifier = createVerifier({ issuer: env('BENCH_ISSUER'), audience: env('BENCH_AUDIENCE'), keys: jwksFile(env('BENCH_JWKS_FILE')), cacheSize: Number(process.env.BENCH_CACHE_SIZE ?? 10_000) });
  const timed: TokenVerifier = {
    verify: (token) => verifier.verify(token),
    lookupOrVerify(token) {
      const started = process.hrtime.bigint();
      const outcome = verifier.lookupOrVerify(token);
      admission.nanos += process.hrtime.bigint() - started;
      admission.calls += 1;
      return outcome;
    },
  };
  return createAuthInterceptor({
    verifier: process.env.BENCH_TIME_ADMISSION === '1' ? timed : verifier,
    publicMethods: publicMethods(publicMethodsFromDescriptors(embeddedFileDescriptors())),
    logger: silentLogger,
  });
}

function fixedIdentity(): ServerInterceptor {
  const identity: WorkloadIdentity = {
    issuer: env('BENCH_ISSUER'),
    subject: 'system:serviceaccount:bench:load-generator',
    namespace: 'bench',
    serviceAccount: { name: 'load-generator', uid: '' },
    pod: undefined,
    node: undefined,
    audiences: [env('BENCH_AUDIENCE')],
    expiresAt: new Date(Date.now() + 86_400_000),
    issuedAt: undefined,
    tokenId: undefined,
  };
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            bindIdentity(metadata, identity);
            proceed(metadata);
          },
        }),
    });
}
