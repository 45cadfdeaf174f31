import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { protoPath as healthProto } from 'grpc-health-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../src/dev/signing-key.js';
import { signCompact } from '../../src/dev/service-account-token.js';
import type { StreamHelloResponse, WhoAmIRequest, WhoAmIResponse } from '../../src/gen/wid/demo/v1/hello.js';
import { CLIENT_MESSAGES } from '../../src/server/auth/index.js';
import { AUDIENCE, bearer, dynamicClient, recordingLogger, startHarness, unary, type Harness } from '../support/harness.js';

let h: Harness;
const log = recordingLogger();

beforeAll(async () => {
  h = await startHarness({}, log);
});
afterAll(async () => {
  await h.close();
  // Whatever was rejected above, no line of the server log carries a token.
  const tokenish = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;
  expect(log.lines.filter((line) => tokenish.test(line))).toEqual([]);
});

const privateHello = (metadata?: Metadata) => unary(h.client.privateHello, h.client, { name: 'test' }, metadata);

describe('private RPCs', () => {
  it('answer a caller with a valid token, naming its namespace and service account', async () => {
    const result = await privateHello(bearer(h.token()));
    expect(result).toEqual({ ok: true, response: { message: 'Hello test, from the private API: you are service account gke-sa in namespace id-namespace' } });
  });

  it('refuse a call without a token, with a stable message', async () => {
    expect(await privateHello()).toEqual({ ok: false, code: status.UNAUTHENTICATED, details: CLIENT_MESSAGES.missing });
  });

  it.each([
    ['wrong audience', () => h.token({ audiences: ['someone-else'] })],
    ['not yet valid', () => h.token({ issuedAt: Math.floor(Date.now() / 1000) + 3600 })],
    ['signed by another key with the same kid', () => signCompact(generateSigningKey(), { alg: 'RS256', kid: h.issuer.signingKey.kid }, payloadOf(h.token()))],
    ['alg none', () => new UnsecuredJWT(payloadOf(h.token())).encode()],
    ['garbage', () => 'not-a-token'],
  ])('refuse a token with %s', async (_name, token) => {
    expect(await privateHello(bearer(token()))).toEqual({ ok: false, code: status.UNAUTHENTICATED, details: CLIENT_MESSAGES.invalid });
  });

  it('refuse HMAC tokens keyed with the issuer public key', async () => {
    const secret = Buffer.from(JSON.stringify(h.issuer.signingKey.publicJwk));
    const token = await new SignJWT(payloadOf(h.token())).setProtectedHeader({ alg: 'HS256', kid: h.issuer.signingKey.kid }).sign(secret);
    expect(await privateHello(bearer(token))).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
  });

  it('tell the caller when its token expired', async () => {
    const expired = h.token({ issuedAt: Math.floor(Date.now() / 1000) - 7200, expirationSeconds: 3600 });
    expect(await privateHello(bearer(expired))).toEqual({ ok: false, code: status.UNAUTHENTICATED, details: CLIENT_MESSAGES.expired });
  });

  it('refuse a token from another issuer', async () => {
    const { LocalIssuer } = await import('../../src/dev/local-issuer.js');
    const other = await LocalIssuer.start();
    try {
      const token = other.mint({ audiences: [AUDIENCE], namespace: 'id-namespace', serviceAccount: 'gke-sa' });
      expect(await privateHello(bearer(token))).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
    } finally {
      await other.close();
    }
  });

  it('accept a token signed by a key the issuer published after start (refetch on unknown kid)', async () => {
    const jwksFetches = h.issuer.requests.get('/openid/v1/jwks') ?? 0;
    h.issuer.rotateKey();
    // The server loaded its keys more than a cooldown ago only in long runs; force the window open.
    await h.keys.reload();
    expect(await privateHello(bearer(h.token()))).toMatchObject({ ok: true });
    expect(h.issuer.requests.get('/openid/v1/jwks')).toBe(jwksFetches + 1);
  });

  it('log one structured line per refusal with the reason and never the token', async () => {
    const before = log.lines.length;
    await privateHello(bearer(h.token({ audiences: ['nope'] })));
    const lines = log.lines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'rpc rejected', method: '/wid.demo.v1.HelloService/PrivateHello', code: 'UNAUTHENTICATED', reason: 'wrong_audience' });
    expect(lines[0]?.token_sha256).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('WhoAmI', () => {
  it('returns the verified claims', async () => {
    const token = h.token({ pod: { name: 'api-7d9f8b6c5-x2kqp', uid: 'a799017e-b7ac-43c3-94da-38b1b611746d' }, node: { name: 'worker-7' } });
    const result = await unary<WhoAmIRequest, WhoAmIResponse>(h.client.whoAmI, h.client, {}, bearer(token));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.response).toMatchObject({
      issuer: h.issuer.issuer,
      subject: 'system:serviceaccount:id-namespace:gke-sa',
      namespace: 'id-namespace',
      serviceAccountName: 'gke-sa',
      podName: 'api-7d9f8b6c5-x2kqp',
      podUid: 'a799017e-b7ac-43c3-94da-38b1b611746d',
      nodeName: 'worker-7',
      audiences: [AUDIENCE],
    });
    expect(result.response.serviceAccountUid).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.response.expiresAt?.getTime()).toBe((payloadOf(token).exp as number) * 1000);
  });
});

describe('PublicHello', () => {
  it('answers with no token, and ignores a broken one', async () => {
    for (const metadata of [new Metadata(), bearer('garbage'), bearer(h.token({ audiences: ['nope'] }))]) {
      expect(await unary(h.client.publicHello, h.client, { name: 'x' }, metadata)).toEqual({ ok: true, response: { message: 'Hello x, from the public API' } });
    }
  });
});

describe('StreamHello', () => {
  it('delivers count messages in order', async () => {
    const messages = await collect(h.client.streamHello({ name: 's', count: 5, intervalMs: 1 }, bearer(h.token())));
    expect(messages.map((m) => m.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(messages[4]?.message).toBe('Hello s (id-namespace/gke-sa), message 5 of 5');
  });

  it('is authenticated', async () => {
    await expect(collect(h.client.streamHello({ name: 's', count: 2, intervalMs: 0 }))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it('rejects absurd counts and intervals', async () => {
    for (const request of [{ count: 0, intervalMs: 0 }, { count: 1001, intervalMs: 0 }, { count: 2, intervalMs: 60_001 }]) {
      await expect(collect(h.client.streamHello({ name: 's', ...request }, bearer(h.token())))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    }
  });

  it('stops promptly when the client cancels', async () => {
    const call = h.client.streamHello({ name: 's', count: 1000, intervalMs: 20 }, bearer(h.token()));
    const received: number[] = [];
    const ended = new Promise<ServiceError>((resolve) => call.on('error', resolve));
    call.on('data', (m: StreamHelloResponse) => {
      received.push(m.sequence);
      if (m.sequence === 3) call.cancel();
    });
    expect((await ended).code).toBe(status.CANCELLED);
    expect(received).toEqual([1, 2, 3]);
  });
});

describe('health and reflection', () => {
  it('health reports SERVING without a token once keys are loaded', async () => {
    const client = dynamicClient(healthProto, [], 'grpc.health.v1.Health', h.address);
    for (const service of ['', 'wid.demo.v1.HelloService']) {
      const reply = await new Promise((resolve, reject) => client.check?.({ service }, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
      expect(reply).toEqual({ status: 'SERVING' });
    }
    client.close();
  });

  it.each(['v1', 'v1alpha'])('reflection %s lists the services without a token', async (version) => {
    const protoDir = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')), 'build', 'proto');
    const client = dynamicClient(`grpc/reflection/${version}/reflection.proto`, [protoDir], `grpc.reflection.${version}.ServerReflection`, h.address);
    const stream = client.serverReflectionInfo?.() as NodeJS.ReadWriteStream;
    const reply = new Promise<{ listServicesResponse?: { service: { name: string }[] } }>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
    });
    stream.write({ listServices: '' } as never);
    const services = (await reply).listServicesResponse?.service.map((s) => s.name);
    stream.end();
    client.close();
    expect(services).toEqual(expect.arrayContaining(['wid.demo.v1.HelloService', 'grpc.health.v1.Health']));
  });
});

function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function collect(call: NodeJS.EventEmitter): Promise<StreamHelloResponse[]> {
  return new Promise((resolve, reject) => {
    const messages: StreamHelloResponse[] = [];
    call.on('data', (m: StreamHelloResponse) => messages.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(messages));
  });
}
