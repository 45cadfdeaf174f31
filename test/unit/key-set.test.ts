import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../src/dev/signing-key.js';
import { InvalidJwksError, KeySet } from '../../src/server/auth/index.js';

const rsa = generateSigningKey('RS256');
const ec = generateSigningKey('ES256');

describe('KeySet.fromJwks', () => {
  it('imports RSA and EC keys by kid, each limited to the algorithms it can verify', () => {
    const set = KeySet.fromJwks({ keys: [rsa.publicJwk, ec.publicJwk] });
    expect(set.kids).toEqual([rsa.kid, ec.kid]);
    expect(set.find(rsa.kid, 'RS256')?.algorithms.has('RS256')).toBe(true);
    expect(set.find(ec.kid, 'ES256')?.algorithms.has('RS256')).toBe(false);
  });

  it('honours a key\'s declared alg', () => {
    const set = KeySet.fromJwks({ keys: [{ ...rsa.publicJwk, alg: 'PS256' }] });
    expect([...(set.find(rsa.kid, 'PS256')?.algorithms.keys() ?? [])]).toEqual(['PS256']);
  });

  it('skips symmetric, private, encryption and weak keys, and says why', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const privateJwk = rsa.privateKey.export({ format: 'jwk' });
    const set = KeySet.fromJwks({
      keys: [rsa.publicJwk, { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }, { ...privateJwk, kid: 'private' }, { ...ec.publicJwk, use: 'enc' }, { ...weak, kid: 'weak' }],
    });
    expect(set.kids).toEqual([rsa.kid]);
    expect(set.skipped).toHaveLength(4);
    expect(set.skipped.join('\n')).toMatch(/oct.*\n.*private.*\n.*enc.*\n.*weak/s);
  });

  it('trusts neither of two keys that share a kid', () => {
    const other = generateSigningKey();
    const set = KeySet.fromJwks({ keys: [rsa.publicJwk, { ...other.publicJwk, kid: rsa.kid }, ec.publicJwk] });
    expect(set.find(rsa.kid, 'RS256')).toBeUndefined();
  });

  it('matches a kid-less token only when exactly one key fits', () => {
    const { kid: _kid, ...noKid } = rsa.publicJwk;
    expect(KeySet.fromJwks({ keys: [noKid, ec.publicJwk] }).find(undefined, 'RS256')).toBeDefined();
    expect(KeySet.fromJwks({ keys: [noKid, generateSigningKey().publicJwk] }).find(undefined, 'RS256')).toBeUndefined();
  });

  it('throws on documents that are not a JWKS or hold no usable key', () => {
    expect(() => KeySet.fromJwks(null)).toThrow(InvalidJwksError);
    expect(() => KeySet.fromJwks({ keys: 'x' })).toThrow(/"keys" array/);
    expect(() => KeySet.fromJwks({ keys: [] })).toThrow(/no usable signing key/);
    expect(() => KeySet.fromJwks({ keys: Array.from({ length: 65 }, () => rsa.publicJwk) })).toThrow(/at most 64/);
  });
});
