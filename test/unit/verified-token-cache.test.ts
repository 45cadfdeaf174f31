import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../src/dev/signing-key.js';
import { mintServiceAccountToken } from '../../src/dev/service-account-token.js';
import { createVerifier, KeySet, type KeySource, type VerificationKey } from '../../src/server/auth/index.js';

const ISSUER = 'https://issuer.example';
const key = generateSigningKey();

/** A key source whose key set the test swaps, as a JWKS reload would. */
function swappableKeys(jwks: object): KeySource & { swap(next: object): void } {
  let set = KeySet.fromJwks(jwks);
  return {
    swap: (next) => void (set = KeySet.fromJwks(next)),
    getKey: (kid, alg) => Promise.resolve(set.find(kid, alg)),
    isTrusted: (k: VerificationKey) => set.has(k),
    load: () => Promise.resolve(),
    status: () => ({ hasKeys: true, kids: set.kids, loadedAt: undefined, lastError: undefined }),
    close: () => {},
  };
}

function setup(options: { cacheSize?: number; now?: () => number } = {}) {
  const keys = swappableKeys({ keys: [key.publicJwk] });
  const verifier = createVerifier({ issuer: ISSUER, audience: 'aud', keys, ...options });
  const mint = (serviceAccount = 'sa', issuedAt = Math.floor(Date.now() / 1000)) => mintServiceAccountToken(key, { issuer: ISSUER, audiences: ['aud'], namespace: 'ns', serviceAccount, issuedAt, expirationSeconds: 600 });
  return { keys, verifier, mint };
}

describe('verified-token cache', () => {
  it('verifies a token once, then answers from the cache', async () => {
    const { verifier, mint } = setup();
    const token = mint();
    const first = await verifier.verify(token);
    for (let i = 0; i < 10; i++) expect(await verifier.verify(token)).toBe(first);
    expect(verifier.stats()).toEqual({ cacheEntries: 1, cacheHits: 10, verifications: 1 });
  });

  it('answers cached() at once for verified tokens only, within their lifetime and while their key is trusted', async () => {
    let clock = Date.now();
    const { verifier, mint, keys } = setup({ now: () => clock });
    const token = mint('sa', Math.floor(clock / 1000));
    expect(verifier.cached(token)).toBeUndefined();
    const identity = await verifier.verify(token);
    expect(verifier.cached(token)).toBe(identity);
    expect(verifier.cached(`${token}x`)).toBeUndefined();
    // Past exp minus the skew: no longer answered from the cache.
    clock += (600 - 30) * 1000;
    expect(verifier.cached(token)).toBeUndefined();
    clock -= (600 - 30) * 1000;
    await verifier.verify(token);
    keys.swap({ keys: [generateSigningKey().publicJwk] });
    expect(verifier.cached(token)).toBeUndefined();
  });

  it('lookupOrVerify answers a known token at once, and a new or bad one with a promise', async () => {
    const { verifier, mint } = setup();
    const token = mint();
    const first = verifier.lookupOrVerify(token);
    expect(first).toBeInstanceOf(Promise);
    const identity = await first;
    expect(verifier.lookupOrVerify(token)).toBe(identity);
    // A bad token is a rejected promise, never a throw: callers need one error path.
    const bad = verifier.lookupOrVerify(`${token}x`);
    expect(bad).toBeInstanceOf(Promise);
    await expect(bad).rejects.toThrow();
    expect(verifier.stats()).toMatchObject({ cacheEntries: 1, cacheHits: 1, verifications: 2 });
  });

  it('shares one verification between concurrent first calls', async () => {
    const { verifier, mint } = setup();
    const token = mint();
    await Promise.all(Array.from({ length: 50 }, () => verifier.verify(token)));
    expect(verifier.stats().verifications).toBe(1);
  });

  it('never caches failures', async () => {
    const { verifier, mint } = setup();
    const bad = `${mint()}x`;
    for (let i = 0; i < 3; i++) await expect(verifier.verify(bad)).rejects.toThrow();
    expect(verifier.stats()).toMatchObject({ cacheEntries: 0, verifications: 3 });
  });

  it('stays within its bound, dropping the least recently used', async () => {
    const { verifier, mint } = setup({ cacheSize: 3 });
    const tokens = ['a', 'b', 'c', 'd'].map((sa) => mint(sa));
    for (const t of tokens.slice(0, 3)) await verifier.verify(t);
    await verifier.verify(tokens[0] as string); // a is now the most recent; b the least
    await verifier.verify(tokens[3] as string);
    expect(verifier.stats().cacheEntries).toBe(3);
    const before = verifier.stats().verifications;
    await verifier.verify(tokens[0] as string);
    expect(verifier.stats().verifications).toBe(before);
    await verifier.verify(tokens[1] as string);
    expect(verifier.stats().verifications).toBe(before + 1);
  });

  it('stays within its bound when every entry was hit, dropping the oldest', async () => {
    const { verifier, mint } = setup({ cacheSize: 3 });
    const tokens = ['a', 'b', 'c', 'd'].map((sa) => mint(sa));
    for (const t of tokens.slice(0, 3)) await verifier.verify(t);
    for (const t of tokens.slice(0, 3)) await verifier.verify(t); // every entry hit once
    await verifier.verify(tokens[3] as string);
    expect(verifier.stats().cacheEntries).toBe(3);
    const before = verifier.stats().verifications;
    for (const t of tokens.slice(1)) await verifier.verify(t);
    expect(verifier.stats().verifications).toBe(before);
    await verifier.verify(tokens[0] as string);
    expect(verifier.stats().verifications).toBe(before + 1);
  });

  it('does not serve an entry past the token expiry (less skew)', async () => {
    let now = Date.now();
    const { verifier, mint } = setup({ now: () => now });
    const token = mint('sa', Math.floor(now / 1000));
    await verifier.verify(token);
    now += (600 - 31) * 1000;
    await verifier.verify(token);
    expect(verifier.stats().cacheHits).toBe(1);
    now += 2_000; // inside the skew window: verified afresh, still accepted
    await verifier.verify(token);
    expect(verifier.stats().verifications).toBe(2);
    now += 60_000;
    await expect(verifier.verify(token)).rejects.toThrow(/expired/);
  });

  it('drops entries whose key the issuer removed, and keeps those whose key survived a reload', async () => {
    const { keys, verifier, mint } = setup();
    const token = mint();
    await verifier.verify(token);
    keys.swap({ keys: [key.publicJwk, generateSigningKey().publicJwk] }); // reload, same key still there
    await verifier.verify(token);
    expect(verifier.stats().cacheHits).toBe(1);
    keys.swap({ keys: [generateSigningKey().publicJwk] }); // our key withdrawn
    await expect(verifier.verify(token)).rejects.toThrow(/no trusted key/);
  });

  it('can be disabled', async () => {
    const { verifier, mint } = setup({ cacheSize: 0 });
    const token = mint();
    await verifier.verify(token);
    await verifier.verify(token);
    expect(verifier.stats()).toMatchObject({ cacheEntries: 0, verifications: 2 });
  });
});
