import { status } from '@grpc/grpc-js';
import { protoPath as healthProto } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalIssuer, type IssuerMode } from '../../src/dev/local-issuer.js';
import { generateSigningKey } from '../../src/dev/signing-key.js';
import { mintServiceAccountToken } from '../../src/dev/service-account-token.js';
import { CLIENT_MESSAGES, remoteJwks } from '../../src/server/auth/index.js';
import { AUDIENCE, bearer, dynamicClient, startHarness, unary, type Harness } from '../support/harness.js';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function harness(): Promise<Harness> {
  const h = await startHarness();
  open.push(h);
  return h;
}

function healthOf(h: Harness): Promise<string> {
  const client = dynamicClient(healthProto, [], 'grpc.health.v1.Health', h.address);
  return new Promise((resolve, reject) =>
    client.check?.({ service: '' }, (e: Error | null, r: { status: string }) => {
      client.close();
      return e ? reject(e) : resolve(r.status);
    }),
  );
}

describe('issuer down at start', () => {
  it('serves public RPCs and health, reports NOT_SERVING, answers private RPCs UNAVAILABLE, and recovers', async () => {
    const h = await startHarness({}, undefined, 'unavailable');
    open.push(h);
    const token = h.token();
    expect(await unary(h.client.publicHello, h.client, { name: 'x' })).toMatchObject({ ok: true });
    expect(await healthOf(h)).toBe('NOT_SERVING');
    expect(await unary(h.client.privateHello, h.client, { name: 'x' }, bearer(token))).toEqual({ ok: false, code: status.UNAVAILABLE, details: CLIENT_MESSAGES.unavailable });
    h.issuer.mode = 'ok';
    await h.server.ready; // the start-up loop keeps retrying with backoff
    expect(await healthOf(h)).toBe('SERVING');
    expect(await unary(h.client.privateHello, h.client, { name: 'x' }, bearer(token))).toMatchObject({ ok: true });
  });
});

describe('issuer misbehaving after start', () => {
  it.each<IssuerMode>(['unavailable', 'garbage', 'html', 'oversized', 'slow'])('keeps verifying with the last good keys when the issuer turns %s', async (mode) => {
    const issuer = await LocalIssuer.start();
    const keys = remoteJwks(new URL(issuer.jwksUri), { timeoutMs: 300, cooldownMs: 0 });
    try {
      await keys.load();
      issuer.mode = mode;
      await expect(keys.reload()).rejects.toThrow();
      expect(keys.status()).toMatchObject({ hasKeys: true, kids: [issuer.signingKey.kid] });
      expect(keys.status().lastError).toBeDefined();
      await expect(keys.getKey(issuer.signingKey.kid, 'RS256')).resolves.toBeDefined();
    } finally {
      await issuer.close();
    }
  });

  it('stops using keys older than the staleness bound', async () => {
    const issuer = await LocalIssuer.start();
    let now = 0;
    const keys = remoteJwks(new URL(issuer.jwksUri), { maxStaleMs: 60_000, now: () => now });
    await keys.load();
    issuer.mode = 'unavailable';
    now = 59_000;
    await expect(keys.getKey(issuer.signingKey.kid, 'RS256')).resolves.toBeDefined();
    now = 61_000;
    await expect(keys.getKey(issuer.signingKey.kid, 'RS256')).rejects.toThrow(/no usable keys/);
    expect(keys.status()).toMatchObject({ hasKeys: false });
    await issuer.close();
  });
});

describe('key rotation through the server', () => {
  it('accepts a newly published key after one refetch, and stops accepting a removed key after the next refresh', async () => {
    const h = await harness();
    const oldKey = h.issuer.signingKey;
    const oldToken = h.token();
    const keys = h.keys;
    const fetches = () => h.issuer.requests.get('/openid/v1/jwks') ?? 0;

    // The issuer starts signing with a new key and publishes both.
    h.issuer.rotateKey();
    const before = fetches();
    await keys.reload(); // stands in for the cooldown having passed since the start-up load
    expect(await unary(h.client.privateHello, h.client, { name: '' }, bearer(h.token()))).toMatchObject({ ok: true });
    expect(await unary(h.client.privateHello, h.client, { name: '' }, bearer(oldToken))).toMatchObject({ ok: true });
    expect(fetches()).toBe(before + 1);

    // The old key is withdrawn; after the next refresh its tokens fail.
    h.issuer.rotateKey(h.issuer.signingKey, true);
    await keys.reload();
    expect(keys.status().kids).not.toContain(oldKey.kid);
    expect(await unary(h.client.privateHello, h.client, { name: '' }, bearer(oldToken))).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
  });
});

describe('unknown-kid flood', () => {
  it('thousands of tokens with random kids cause at most one JWKS fetch per cooldown', async () => {
    const h = await harness();
    const keys = h.keys;
    const before = h.issuer.requests.get('/openid/v1/jwks') ?? 0;
    const attacker = generateSigningKey();
    const tokens = Array.from({ length: 2_000 }, (_, i) =>
      mintServiceAccountToken({ ...attacker, kid: `random-${i}-${Math.random()}` }, { issuer: h.issuer.issuer, audiences: [AUDIENCE], namespace: 'x', serviceAccount: 'y' }),
    );
    const results = await Promise.all(tokens.map((t) => unary(h.client.privateHello, h.client, { name: '' }, bearer(t))));
    expect(results.every((r) => !r.ok && r.code === status.UNAUTHENTICATED)).toBe(true);
    // The start-up load happened moments ago, so the cooldown holds: no fetch at all.
    expect((h.issuer.requests.get('/openid/v1/jwks') ?? 0) - before).toBe(0);
    expect(keys.coolingDown).toBe(true);
  });

  it('concurrent misses after the cooldown share a single fetch', async () => {
    const issuer = await LocalIssuer.start();
    let now = 0;
    const keys = remoteJwks(new URL(issuer.jwksUri), { cooldownMs: 30_000, now: () => now });
    await keys.load();
    now = 31_000;
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => keys.getKey(`unknown-${i}`, 'RS256')));
    expect(issuer.requests.get('/openid/v1/jwks')).toBe(2);
    await issuer.close();
  });
});
