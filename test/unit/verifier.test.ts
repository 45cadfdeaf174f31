import { createPublicKey } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, signingKeyFrom, type SigningKey } from '../../src/dev/signing-key.js';
import { mintServiceAccountToken, signCompact, type TokenRequest } from '../../src/dev/service-account-token.js';
import { AuthError, createVerifier, staticJwks, type AuthFailureReason } from '../../src/server/auth/index.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const AUDIENCE = 'grpc.example.internal';
const NOW = 1_735_689_600; // 2025-01-01T00:00:00Z

const key = generateSigningKey('RS256');
const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticJwks({ keys: [key.publicJwk] }), now: () => NOW * 1000 });

function mint(overrides: Partial<TokenRequest> = {}, signer: SigningKey = key): string {
  return mintServiceAccountToken(signer, { issuer: ISSUER, audiences: [AUDIENCE], namespace: 'payments', serviceAccount: 'api', issuedAt: NOW - 60, ...overrides });
}

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function rejection(token: string, v = verifier): Promise<AuthFailureReason> {
  const error: unknown = await v.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return (error as AuthError).reason;
}

describe('verifier: tokens as Kubernetes issues them', () => {
  it('accepts a pod-bound projected token and returns the workload identity', async () => {
    const identity = await verifier.verify(mint({ pod: { name: 'api-7d9f8b6c5-x2kqp', uid: 'a799017e-b7ac-43c3-94da-38b1b611746d' } }));
    expect(identity).toMatchObject({
      issuer: ISSUER,
      subject: 'system:serviceaccount:payments:api',
      namespace: 'payments',
      serviceAccount: { name: 'api' },
      pod: { name: 'api-7d9f8b6c5-x2kqp', uid: 'a799017e-b7ac-43c3-94da-38b1b611746d' },
      node: { name: 'worker-1' },
      audiences: [AUDIENCE],
    });
    expect(identity.expiresAt.getTime()).toBe((NOW - 60 + 3600) * 1000);
    expect(identity.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.isFrozen(identity)).toBe(true);
  });

  it('mints tokens with exactly the header and sorted claims of kube-apiserver', () => {
    const token = mint();
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toEqual({ alg: 'RS256', kid: key.kid });
    const payloadJson = Buffer.from(token.split('.')[1] ?? '', 'base64url').toString();
    expect(Object.keys(JSON.parse(payloadJson) as object)).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
    expect(payloadJson).not.toContain(' ');
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts ES256 tokens from an EC issuer key', async () => {
    const ec = generateSigningKey('ES256');
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticJwks({ keys: [ec.publicJwk] }), now: () => NOW * 1000 });
    await expect(v.verify(mint({}, ec))).resolves.toMatchObject({ namespace: 'payments' });
  });

  it('accepts a token whose header also carries typ: JWT (external signers)', async () => {
    const token = signCompact(key, { alg: 'RS256', kid: key.kid, typ: 'JWT' }, decodePayload(mint()));
    await expect(verifier.verify(token)).resolves.toMatchObject({ namespace: 'payments' });
  });

  it('accepts a token without node or pod binding', async () => {
    const identity = await verifier.verify(mint({ pod: null }));
    expect(identity.pod).toBeUndefined();
    expect(identity.node).toBeUndefined();
  });
});

describe('verifier: claims', () => {
  it('rejects another audience, and look-alikes of ours', async () => {
    expect(await rejection(mint({ audiences: ['other'] }))).toBe('wrong_audience');
    expect(await rejection(mint({ audiences: [`${AUDIENCE} `] }))).toBe('wrong_audience');
    expect(await rejection(mint({ audiences: [AUDIENCE.toUpperCase()] }))).toBe('wrong_audience');
  });

  it('accepts our audience among several', async () => {
    await expect(verifier.verify(mint({ audiences: ['vault', AUDIENCE] }))).resolves.toBeDefined();
  });

  it('rejects another issuer, and ours with a trailing slash', async () => {
    expect(await rejection(mintServiceAccountToken(key, { issuer: 'https://evil.example', audiences: [AUDIENCE], namespace: 'a', serviceAccount: 'b', issuedAt: NOW }))).toBe('wrong_issuer');
    expect(await rejection(mintServiceAccountToken(key, { issuer: `${ISSUER}/`, audiences: [AUDIENCE], namespace: 'a', serviceAccount: 'b', issuedAt: NOW }))).toBe('wrong_issuer');
  });

  it('rejects an expired token, and accepts one within the clock skew', async () => {
    expect(await rejection(mint({ issuedAt: NOW - 4000, expirationSeconds: 3600 }))).toBe('expired');
    await expect(verifier.verify(mint({ issuedAt: NOW - 3610, expirationSeconds: 3600 }))).resolves.toBeDefined();
  });

  it('rejects a token not yet valid beyond the clock skew', async () => {
    expect(await rejection(mint({ issuedAt: NOW + 120 }))).toBe('not_yet_valid');
    await expect(verifier.verify(mint({ issuedAt: NOW + 10 }))).resolves.toBeDefined();
  });

  it('rejects a token without exp', async () => {
    const payload = decodePayload(mint());
    delete payload.exp;
    expect(await rejection(signCompact(key, { alg: 'RS256', kid: key.kid }, payload))).toBe('missing_claim');
  });

  it('rejects a lifetime beyond one day (the year-long default token)', async () => {
    expect(await rejection(mint({ expirationSeconds: 365 * 86_400 }))).toBe('lifetime_too_long');
  });

  it('rejects a legacy secret-based token (no aud, no exp)', async () => {
    const legacy = signCompact(key, { alg: 'RS256', kid: key.kid }, {
      iss: 'kubernetes/serviceaccount',
      'kubernetes.io/serviceaccount/namespace': 'payments',
      'kubernetes.io/serviceaccount/service-account.name': 'api',
      sub: 'system:serviceaccount:payments:api',
    });
    expect(await rejection(legacy)).toBe('wrong_issuer');
    const v = createVerifier({ issuer: 'kubernetes/serviceaccount', audience: AUDIENCE, keys: staticJwks({ keys: [key.publicJwk] }), now: () => NOW * 1000 });
    expect(await rejection(legacy, v)).toBe('missing_claim');
  });

  it('rejects a sub that disagrees with the kubernetes.io claims', async () => {
    const payload = { ...decodePayload(mint()), sub: 'system:serviceaccount:kube-system:admin' };
    expect(await rejection(signCompact(key, { alg: 'RS256', kid: key.kid }, payload))).toBe('not_a_service_account_token');
  });
});

describe('verifier: signatures and keys', () => {
  it('rejects a token signed by another key that claims the same kid', async () => {
    const impostor = signingKeyFrom(generateSigningKey().privateKey, 'RS256');
    const token = signCompact(impostor, { alg: 'RS256', kid: key.kid }, decodePayload(mint()));
    expect(await rejection(token)).toBe('bad_signature');
  });

  it('rejects an unknown kid', async () => {
    expect(await rejection(mint({}, generateSigningKey()))).toBe('unknown_key');
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = mint().split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodePayload(mint()), sub: 'system:serviceaccount:payments:admin' })).toString('base64url');
    expect(await rejection(`${h}.${forged}.${s}`)).toBe('bad_signature');
  });

  it('rejects alg: none', async () => {
    const none = new UnsecuredJWT(decodePayload(mint())).encode();
    expect(await rejection(none)).toBe('malformed_token');
    const [, p] = mint().split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url');
    expect(await rejection(`${header}.${p}.c2ln`)).toBe('unsupported_algorithm');
  });

  it('rejects HMAC signed with the public key as secret (algorithm confusion)', async () => {
    const publicPem = Buffer.from(createPublicKey(key.privateKey).export({ format: 'pem', type: 'spki' }));
    const publicDer = createPublicKey(key.privateKey).export({ format: 'der', type: 'spki' });
    for (const secret of [publicPem, publicDer, Buffer.from(JSON.stringify(key.publicJwk))]) {
      const token = await new SignJWT(decodePayload(mint())).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(secret);
      expect(await rejection(token)).toBe('unsupported_algorithm');
    }
  });

  it('rejects an RSA key used with an EC algorithm', async () => {
    const [, p, s] = mint().split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: key.kid })).toString('base64url');
    expect(await rejection(`${header}.${p}.${s}`)).toBe('unsupported_algorithm');
  });

  it('rejects critical header extensions', async () => {
    const token = signCompact(key, { alg: 'RS256', kid: key.kid, crit: ['exp'], exp: 1 }, decodePayload(mint()));
    expect(await rejection(token)).toBe('critical_header');
  });

  it('rejects malformed compact serializations', async () => {
    for (const bad of ['', 'a', 'a.b', 'a.b.c.d', '..', 'a..c', 'e30.e30.', '!!!.e30.c2ln', 'bm90IGpzb24.e30.c2ln', 'WzFd.e30.c2ln']) {
      expect(await rejection(bad)).toMatch(/malformed_token|unsupported_algorithm/);
    }
  });

  it('verifies the payload text exactly as sent: characters the base64url decoder would skip break the signature', async () => {
    const [h, p, sig] = mint().split('.') as [string, string, string];
    // U+0141 is "A" + 0x100: as latin1 it is the byte of "A", so a check on those bytes would pass while the
    // decoder skips it and reads a different payload. "!" and "=" are skipped by the decoder too.
    const lookalike = `${p.slice(0, 10)}${String.fromCharCode(p.charCodeAt(10) + 0x100)}${p.slice(11)}`;
    for (const payload of [lookalike, `${p.slice(0, 10)}!${p.slice(10)}`, `${p}=`, `${p.slice(0, 4)}\u0000${p.slice(4)}`]) {
      expect(await rejection(`${h}.${payload}.${sig}`)).toMatch(/bad_signature|malformed_token/);
    }
    await expect(verifier.verify(`${h}.${p}.${sig}`)).resolves.toMatchObject({ namespace: 'payments' });
  });


  it('accepts the signature text only in base64url: look-alikes the decoder would read as the same bytes are refused', async () => {
    const [h, p, sig] = mint().split('.') as [string, string, string];
    // Node's decoder reads a UTF-16 unit by its low byte (U+0141 as "A"), takes plain base64's "+" and "/",
    // and skips or stops at what is not base64: each of these still decodes to a signature that verifies.
    const at = (i: number, text: string) => `${sig.slice(0, i)}${text}${sig.slice(i + 1)}`;
    const dash = sig.indexOf('-');
    const variants = [
      at(10, String.fromCharCode(sig.charCodeAt(10) + 0x100)),
      at(10, `${sig[10] ?? ''}!`),
      at(10, `${sig[10] ?? ''} `),
      `${sig}=`,
      `${sig}====`,
      ...(dash >= 0 ? [at(dash, '+')] : []),
    ];
    for (const variant of variants) {
      expect(Buffer.from(variant, 'base64url').subarray(0, 255).equals(Buffer.from(sig, 'base64url').subarray(0, 255))).toBe(true);
      expect(await rejection(`${h}.${p}.${variant}`)).toBe('malformed_token');
    }
    await expect(verifier.verify(`${h}.${p}.${sig}`)).resolves.toMatchObject({ namespace: 'payments' });
  });
  it('decides on a remembered header exactly as on a fresh one', async () => {
    const good = mint();
    const [h, p] = good.split('.');
    // Same (remembered) header with a broken signature part, twice: same answer each time.
    expect(await rejection(`${h}.${p}.!!`)).toBe('malformed_token');
    expect(await rejection(`${h}.${p}.!!`)).toBe('malformed_token');
    const crit = signCompact(key, { alg: 'RS256', kid: key.kid, crit: ['exp'], exp: 1 }, decodePayload(good));
    expect(await rejection(crit)).toBe('critical_header');
    expect(await rejection(crit)).toBe('critical_header');
    // Many distinct headers (each a new kid) leave later verifications unaffected.
    for (let i = 0; i < 600; i += 1) {
      expect(await rejection(signCompact(key, { alg: 'RS256', kid: `k${i}` }, decodePayload(mint())))).toBe('unknown_key');
    }
    await expect(verifier.verify(mint())).resolves.toMatchObject({ namespace: 'payments' });
  });

  it('refuses malformed tokens and unaccepted algorithms without asking the key source', async () => {
    let lookups = 0;
    const inner = staticJwks({ keys: [key.publicJwk] });
    const counting = {
      ...inner,
      getKey: (...args: Parameters<typeof inner.getKey>) => ((lookups += 1), inner.getKey(...args)),
      heldKey: (...args: Parameters<typeof inner.getKey>) => ((lookups += 1), inner.heldKey?.(...args)),
    };
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: counting, now: () => NOW * 1000 });
    const [, p, s] = mint().split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url');
    const hs = Buffer.from(JSON.stringify({ alg: 'HS256', kid: key.kid })).toString('base64url');
    for (const bad of ['a.b', `${none}.${p}.`, `${none}.${p}.${s}`, `${hs}.${p}.${s}`, `e30.${p}.${s}`]) await rejection(bad, v);
    expect(lookups).toBe(0);
    await v.verify(mint());
    expect(lookups).toBe(1);
  });
});
