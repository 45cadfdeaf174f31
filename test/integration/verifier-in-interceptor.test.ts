import { credentials, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { mintServiceAccountToken } from '../../src/dev/service-account-token.js';
import { generateSigningKey } from '../../src/dev/signing-key.js';
import { HelloServiceClient, HelloServiceService, type HelloServiceServer } from '../../src/gen/wid/demo/v1/hello.js';
import { createAuthInterceptor, createVerifier, getIdentity, publicMethods, staticJwks, type TokenVerifier, type WorkloadIdentity } from '../../src/server/auth/index.js';
import { bearer, unary } from '../support/harness.js';

// How the interceptor uses the verifier it is given: ours through lookupOrVerify (one hash of the token
// per call, a known token admitted in the turn its call arrives), one of your own through verify alone.
const ISSUER = 'https://issuer.example';
const key = generateSigningKey();
const mint = (serviceAccount: string) => mintServiceAccountToken(key, { issuer: ISSUER, audiences: ['aud'], namespace: 'ns', serviceAccount });

let stop: (() => void) | undefined;
afterEach(() => stop?.());

async function serve(verifier: TokenVerifier): Promise<HelloServiceClient> {
  const server = new Server({ interceptors: [createAuthInterceptor({ verifier, publicMethods: publicMethods([]), logger: silentLogger })] });
  const handlers: HelloServiceServer = {
    publicHello: (_call, callback) => callback(null, { message: '' }),
    privateHello: (call, callback) => callback(null, { message: getIdentity(call).subject }),
    whoAmI: (_call, callback) => callback({ code: status.UNIMPLEMENTED }),
    streamHello: (call) => call.end(),
  };
  server.addService(HelloServiceService, handlers);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const client = new HelloServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  stop = () => {
    client.close();
    server.forceShutdown();
  };
  return client;
}

/** Wraps each method of a verifier to count its calls. */
function counting(verifier: TokenVerifier): { verifier: TokenVerifier; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const wrapped = Object.fromEntries(
    Object.entries(verifier).map(([name, method]) => [name, (...args: unknown[]) => ((calls[name] = (calls[name] ?? 0) + 1), (method as (...a: unknown[]) => unknown)(...args))]),
  ) as unknown as TokenVerifier;
  return { verifier: wrapped, calls };
}

describe('the verifier behind the interceptor', () => {
  it('is asked once per call, by lookupOrVerify, whether the token is new, known or bad', async () => {
    const { verifier, calls } = counting(createVerifier({ issuer: ISSUER, audience: 'aud', keys: staticJwks({ keys: [key.publicJwk] }) }));
    const client = await serve(verifier);
    const token = mint('api');
    for (let i = 0; i < 3; i += 1) {
      expect(await unary(client.privateHello, client, { name: '' }, bearer(token))).toEqual({ ok: true, response: { message: 'system:serviceaccount:ns:api' } });
    }
    expect(await unary(client.privateHello, client, { name: '' }, bearer(`${token}x`))).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
    expect(calls).toEqual({ lookupOrVerify: 4 });
  });

  it('may be one of your own with verify alone', async () => {
    const ours = createVerifier({ issuer: ISSUER, audience: 'aud', keys: staticJwks({ keys: [key.publicJwk] }) });
    const { verifier, calls } = counting({ verify: (token) => ours.verify(token) });
    const client = await serve(verifier);
    expect(await unary(client.privateHello, client, { name: '' }, bearer(mint('api')))).toEqual({ ok: true, response: { message: 'system:serviceaccount:ns:api' } });
    expect(await unary(client.privateHello, client, { name: '' }, bearer(`${mint('api')}x`))).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
    expect(calls).toEqual({ verify: 2 });
  });

  it('fails closed when a verifier of your own throws instead of rejecting, or answers without an identity', async () => {
    const misbehaving: TokenVerifier[] = [
      { verify: () => { throw new Error('boom'); } },
      { verify: () => Promise.resolve(undefined as unknown as WorkloadIdentity) },
      { verify: () => Promise.reject(new Error('boom')), lookupOrVerify: () => null as unknown as WorkloadIdentity },
    ];
    for (const verifier of misbehaving) {
      const client = await serve(verifier);
      // A deadline, so a call the server never answers fails here at once instead of timing out the test.
      expect(await unary(client.privateHello, client, { name: '' }, bearer(mint('api')), { deadline: Date.now() + 2_000 })).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
      stop?.();
    }
    // An identity without expiresAt cannot time a stream's end: the stream is refused, the server lives on.
    const client = await serve({ verify: () => Promise.resolve({ subject: 'system:serviceaccount:ns:api' } as unknown as WorkloadIdentity) });
    const stream = client.streamHello({ name: '', count: 1, intervalMs: 0 }, bearer(mint('api')), { deadline: Date.now() + 2_000 });
    const ended = await new Promise<{ code: status }>((resolve) => {
      stream.on('error', (error: { code: status }) => resolve(error));
      stream.on('data', () => undefined);
      stream.on('end', () => resolve({ code: status.OK }));
    });
    expect(ended.code).toBe(status.UNAUTHENTICATED);
  });
});
