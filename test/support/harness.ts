import { type CallOptions, type ChannelCredentials, credentials, loadPackageDefinition, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import { LocalIssuer, type IssuerMode } from '../../src/dev/local-issuer.js';
import type { TokenRequest } from '../../src/dev/service-account-token.js';
import { HelloServiceClient } from '../../src/gen/wid/demo/v1/hello.js';
import type { RemoteJwks } from '../../src/server/auth/index.js';
import { loadServerConfig, type ServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/server.js';

export const AUDIENCE = 'wid-test';

/** A real local issuer and a real server on 127.0.0.1, as the demo runs them. */
export interface Harness {
  issuer: LocalIssuer;
  server: RunningServer;
  /** The server's key source for this harness's issuer. */
  keys: RemoteJwks;
  address: string;
  client: HelloServiceClient;
  /** A token for `id-namespace/gke-sa` (override any field). */
  token(overrides?: Partial<Omit<TokenRequest, 'issuer'>>): string;
  close(): Promise<void>;
}

/** With `issuerMode` other than 'ok' the issuer starts out failing and the harness does not wait for keys. */
export async function startHarness(config: Partial<ServerConfig> = {}, logger: Logger = silentLogger, issuerMode: IssuerMode = 'ok'): Promise<Harness> {
  const issuer = await LocalIssuer.start();
  issuer.mode = issuerMode;
  const defaults = loadServerConfig([], { ID_ISSUER: issuer.issuer, JWT_AUDIENCE: AUDIENCE, ALLOW_HTTP_ISSUER: 'true', HOST: '127.0.0.1', PORT: '0' });
  const server = await startServer({ ...defaults, ...config }, logger);
  if (issuerMode === 'ok') await server.ready;
  const address = `127.0.0.1:${server.port}`;
  const client = new HelloServiceClient(address, credentials.createInsecure());
  return {
    issuer,
    server,
    keys: server.keySources.get(issuer.issuer) as RemoteJwks,
    address,
    client,
    token: (overrides = {}) => issuer.mint({ audiences: [AUDIENCE], namespace: 'id-namespace', serviceAccount: 'gke-sa', ...overrides }),
    async close() {
      client.close();
      await server.shutdown(1_000);
      await issuer.close();
    },
  };
}

export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

type UnaryFn<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Res) => void) => unknown;

/** Calls a unary method; resolves with the response or with the error's status code and details. */
export function unary<Req, Res>(
  method: UnaryFn<Req, Res>,
  client: HelloServiceClient,
  request: Req,
  metadata = new Metadata(),
  options: Partial<CallOptions> = {},
): Promise<{ ok: true; response: Res } | { ok: false; code: status; details: string }> {
  return new Promise((resolve) => {
    method.call(client, request, metadata, options, (error, response) => {
      resolve(error ? { ok: false, code: error.code, details: error.details } : { ok: true, response });
    });
  });
}

/** A logger that keeps its lines, so tests can check what the server logged (and that no token leaked). */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push(JSON.stringify({ level, msg, ...fields }));
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

type DynamicMethod = (...args: unknown[]) => unknown;
export type DynamicClient = Record<string, DynamicMethod> & { close(): void };

/** A client for a service known only from .proto files (health, reflection): for tests that need no stubs. */
export function dynamicClient(protoFile: string, includeDirs: string[], service: string, address: string): DynamicClient {
  const definition = loadSync(protoFile, { includeDirs, enums: String, keepCase: false });
  let node: unknown = loadPackageDefinition(definition);
  for (const part of service.split('.')) node = (node as Record<string, unknown>)[part];
  const Constructor = node as new (address: string, creds: ChannelCredentials) => DynamicClient;
  return new Constructor(address, credentials.createInsecure());
}
