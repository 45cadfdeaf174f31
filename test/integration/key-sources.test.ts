import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalIssuer } from '../../src/dev/local-issuer.js';
import { generateSigningKey } from '../../src/dev/signing-key.js';
import { discoverJwksUri, KeysUnavailableError, remoteJwks } from '../../src/server/auth/index.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((fn) => fn()));
});

async function issuer(): Promise<LocalIssuer> {
  const started = await LocalIssuer.start();
  cleanup.push(() => started.close());
  return started;
}

describe('OIDC discovery and remote JWKS against a real issuer on loopback', () => {
  it('finds the JWKS by discovery and loads its keys', async () => {
    const local = await issuer();
    const keys = remoteJwks(discoverJwksUri(local.issuer, { allowHttp: true }));
    const key = await keys.getKey(local.signingKey.kid, 'RS256');
    expect(key?.kid).toBe(local.signingKey.kid);
    expect(local.requests.get('/.well-known/openid-configuration')).toBe(1);
    expect(local.requests.get('/openid/v1/jwks')).toBe(1);
    expect(keys.status()).toMatchObject({ hasKeys: true, kids: [local.signingKey.kid], lastError: undefined });
  });

  it('refuses a discovery document for another issuer', async () => {
    const local = await issuer();
    const resolve = discoverJwksUri(`${local.issuer}/`, { allowHttp: true });
    await expect(resolve()).rejects.toThrow(/document is for issuer/);
  });

  it('refuses an http jwks_uri unless allowed', async () => {
    const local = await issuer();
    await expect(discoverJwksUri(local.issuer)()).rejects.toThrow(/not https/);
  });

  it('refetches once on an unknown kid, then not again during the cooldown', async () => {
    const local = await issuer();
    let now = 0;
    const keys = remoteJwks(new URL(local.jwksUri), { cooldownMs: 30_000, now: () => now });
    await keys.load();
    const rotated = local.rotateKey();
    // Within the cooldown after a load, even a real new key waits…
    await expect(keys.getKey(rotated.kid, 'RS256')).resolves.toBeUndefined();
    expect(local.requests.get('/openid/v1/jwks')).toBe(1);
    // …and after it, one refetch finds it.
    now = 30_000;
    await expect(keys.getKey(rotated.kid, 'RS256')).resolves.toMatchObject({ kid: rotated.kid });
    expect(local.requests.get('/openid/v1/jwks')).toBe(2);
    // The cooldown now holds: unknown kids cause no fetch, concurrent or not.
    const misses = await Promise.all(Array.from({ length: 50 }, () => keys.getKey(generateSigningKey('ES256').kid, 'ES256')));
    expect(misses.every((k) => k === undefined)).toBe(true);
    expect(local.requests.get('/openid/v1/jwks')).toBe(2);
    expect(keys.coolingDown).toBe(true);
  });

  it('hands over a held key at once, never fetching for it, and refreshes old keys in the background', async () => {
    const local = await issuer();
    let now = 0;
    const keys = remoteJwks(new URL(local.jwksUri), { maxAgeMs: 600_000, now: () => now });
    expect(keys.heldKey?.(local.signingKey.kid, 'RS256')).toBeUndefined();
    expect(local.requests.get('/openid/v1/jwks') ?? 0).toBe(0);
    await keys.load();
    expect(keys.heldKey?.(local.signingKey.kid, 'RS256')).toMatchObject({ kid: local.signingKey.kid });
    // An unknown kid is not held: the caller asks getKey, which decides about refetching.
    expect(keys.heldKey?.('unknown', 'RS256')).toBeUndefined();
    expect(local.requests.get('/openid/v1/jwks')).toBe(1);
    now = 600_001;
    expect(keys.heldKey?.(local.signingKey.kid, 'RS256')).toMatchObject({ kid: local.signingKey.kid });
    await expect.poll(() => local.requests.get('/openid/v1/jwks')).toBe(2);
  });

  it('shares one fetch between concurrent first lookups', async () => {
    const local = await issuer();
    const keys = remoteJwks(new URL(local.jwksUri));
    await Promise.all(Array.from({ length: 20 }, () => keys.getKey(local.signingKey.kid, 'RS256')));
    expect(local.requests.get('/openid/v1/jwks')).toBe(1);
  });

  it('keeps the last good keys when the issuer goes away', async () => {
    const local = await LocalIssuer.start();
    let now = 0;
    const keys = remoteJwks(new URL(local.jwksUri), { cooldownMs: 10, maxAgeMs: 100, now: () => now });
    await keys.load();
    await local.close();
    now = 1_000; // past maxAge: a background refresh is attempted and fails
    await expect(keys.getKey(local.signingKey.kid, 'RS256')).resolves.toBeDefined();
    await expect(keys.reload()).rejects.toThrow();
    expect(keys.status()).toMatchObject({ hasKeys: true, kids: [local.signingKey.kid] });
    expect(keys.status().lastError).toMatch(/ECONNREFUSED/);
  });

  it('reports KeysUnavailableError when no keys were ever loaded', async () => {
    const local = await LocalIssuer.start();
    const uri = new URL(local.jwksUri);
    await local.close();
    const keys = remoteJwks(uri, { timeoutMs: 500 });
    await expect(keys.getKey('any', 'RS256')).rejects.toBeInstanceOf(KeysUnavailableError);
    expect(keys.status().hasKeys).toBe(false);
  });

  it('bounds a slow or oversized JWKS response', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 2_000);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [], padding: 'x'.repeat(300_000) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(remoteJwks(new URL(`${base}/slow`), { timeoutMs: 200 }).load()).rejects.toThrow(/no answer within 200 ms/);
    await expect(remoteJwks(new URL(`${base}/big`)).load()).rejects.toThrow(/byte limit/);
  });
});
