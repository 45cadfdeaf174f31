import { credentials, Metadata, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { LocalIssuer } from '../../src/dev/local-issuer.js';
import { HelloServiceClient, HelloServiceService, type HelloServiceServer } from '../../src/gen/wid/demo/v1/hello.js';
import {
  createAuthInterceptor,
  createVerifier,
  discoverJwksUri,
  findIdentity,
  getIdentity,
  publicMethods,
  remoteJwks,
  subjectAllowList,
} from '../../src/server/auth/index.js';
import { bearer, unary } from '../support/harness.js';

// The library used the way another team would: their own service, their own server, our interceptor.
let issuer: LocalIssuer;
let server: Server;
let client: HelloServiceClient;

const seen: { identity: unknown; authorization: unknown[]; forged: unknown[] }[] = [];
const handlers: HelloServiceServer = {
  publicHello(call, callback) {
    seen.push({ identity: findIdentity(call), authorization: call.metadata.get('authorization'), forged: call.metadata.get('x-workload-identity') });
    callback(null, { message: 'public' });
  },
  privateHello(call, callback) {
    seen.push({ identity: getIdentity(call).subject, authorization: call.metadata.get('authorization'), forged: call.metadata.get('x-workload-identity') });
    callback(null, { message: getIdentity(call).subject });
  },
  whoAmI(_call, callback) {
    callback({ code: status.UNIMPLEMENTED });
  },
  streamHello(call) {
    call.end();
  },
};

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  const interceptor = createAuthInterceptor({
    verifier: createVerifier({ issuer: issuer.issuer, audience: 'lib', keys: remoteJwks(discoverJwksUri(issuer.issuer, { allowHttp: true })) }),
    publicMethods: publicMethods(['/wid.demo.v1.HelloService/PublicHello']),
    authorize: subjectAllowList(['system:serviceaccount:payments:*', 'system:serviceaccount:ops:deployer']),
    logger: silentLogger,
  });
  server = new Server({ interceptors: [interceptor] });
  server.addService(HelloServiceService, handlers);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  client = new HelloServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  server.forceShutdown();
  await issuer.close();
});

const token = (namespace: string, serviceAccount: string) => issuer.mint({ audiences: ['lib'], namespace, serviceAccount });

describe('the interceptor in a service of its own', () => {
  it('hands the handler a typed identity and removes the token from its metadata', async () => {
    const metadata = bearer(token('payments', 'api'));
    metadata.set('x-workload-identity', 'system:serviceaccount:kube-system:admin');
    seen.length = 0;
    expect(await unary(client.privateHello, client, { name: '' }, metadata)).toEqual({ ok: true, response: { message: 'system:serviceaccount:payments:api' } });
    expect(seen).toEqual([{ identity: 'system:serviceaccount:payments:api', authorization: [], forged: ['system:serviceaccount:kube-system:admin'] }]);
  });

  it('gives public methods no identity, even with a valid token', async () => {
    seen.length = 0;
    await unary(client.publicHello, client, { name: '' }, bearer(token('payments', 'api')));
    expect(seen).toEqual([{ identity: undefined, authorization: [], forged: [] }]);
  });

  it('denies verified callers outside the allow-list before the handler runs', async () => {
    seen.length = 0;
    expect(await unary(client.privateHello, client, { name: '' }, bearer(token('payments', 'worker')))).toMatchObject({ ok: true });
    expect(await unary(client.privateHello, client, { name: '' }, bearer(token('ops', 'deployer')))).toMatchObject({ ok: true });
    expect(await unary(client.privateHello, client, { name: '' }, bearer(token('ops', 'intruder')))).toMatchObject({ ok: false, code: status.PERMISSION_DENIED });
    expect(seen).toHaveLength(2);
  });

  it('refuses two bearer values folded into one header', async () => {
    // HTTP/2 itself keeps one `authorization` header (Node drops repeats, grpc-js clients refuse to send
    // them), so two credentials can only arrive comma-joined in one value: that is not "Bearer <token>".
    const valid = token('payments', 'api');
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${valid}, Bearer ${valid}`);
    seen.length = 0;
    expect(await unary(client.privateHello, client, { name: '' }, metadata)).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
    expect(seen).toHaveLength(0);
  });

  it('fails closed for methods not declared public, such as one added later', async () => {
    const metadata = new Metadata();
    const whoAmI = await unary(client.whoAmI, client, {}, metadata);
    expect(whoAmI).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
  });
});

describe('subjectAllowList', () => {
  it('names a malformed entry', () => {
    expect(() => subjectAllowList(['payments:api'])).toThrow(/"payments:api" is not system:serviceaccount:<namespace>:<name or \*>/);
    expect(() => subjectAllowList(['system:serviceaccount:*:api'])).toThrow(/is not/);
  });
});
