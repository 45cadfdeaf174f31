import { Metadata } from '@grpc/grpc-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../src/dev/signing-key.js';
import { signCompact } from '../../src/dev/service-account-token.js';
import { AuthError, createVerifier, extractBearer, staticJwks } from '../../src/server/auth/index.js';

// Property-based fuzzing of the path every call takes: bearer extraction, then verification. Whatever
// the input, the outcome is an AuthError (or, for the valid seed, an identity); never another exception.
const key = generateSigningKey();
const verifier = createVerifier({ issuer: 'https://issuer.example', audience: 'aud', keys: staticJwks({ keys: [key.publicJwk] }) });
const b64 = (value: string) => Buffer.from(value).toString('base64url');

async function outcome(token: string): Promise<'identity' | 'auth-error'> {
  try {
    await verifier.verify(token);
    return 'identity';
  } catch (error) {
    if (error instanceof AuthError) return 'auth-error';
    throw error;
  }
}

describe('fuzzing the authentication path', () => {
  it('extractBearer returns a token without spaces or throws AuthError, for any header value', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (value) => {
        const metadata = new Metadata();
        try {
          metadata.set('authorization', value);
        } catch {
          return; // grpc-js refuses values it could not send; nothing to test
        }
        try {
          expect(extractBearer(metadata)).not.toMatch(/\s/);
        } catch (error) {
          expect(error).toBeInstanceOf(AuthError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('verify rejects arbitrary strings with AuthError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400 }), async (token) => {
        expect(await outcome(token)).toBe('auth-error');
      }),
      { numRuns: 2_000 },
    );
  });

  it('verify rejects arbitrary JSON headers and payloads, signed or not, with AuthError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json({ maxDepth: 3 }), fc.json({ maxDepth: 3 }), fc.boolean(), async (header, payload, sign) => {
        let token = `${b64(header)}.${b64(payload)}.${b64('signature')}`;
        const headerValue: unknown = JSON.parse(header);
        if (sign && typeof headerValue === 'object' && headerValue !== null && !Array.isArray(headerValue)) {
          const parsed: unknown = JSON.parse(payload);
          token = signCompact(key, { ...headerValue, alg: 'RS256', kid: key.kid }, typeof parsed === 'object' && parsed !== null ? parsed : { v: parsed });
        }
        expect(await outcome(token)).toBe('auth-error');
      }),
      { numRuns: 1_000 },
    );
  });

  it('verify rejects mutations of a valid token with AuthError', async () => {
    const valid = signCompact(key, { alg: 'RS256', kid: key.kid }, { iss: 'https://issuer.example', aud: ['aud'], exp: Math.floor(Date.now() / 1000) + 600, sub: 'system:serviceaccount:a:b', 'kubernetes.io': { namespace: 'a', serviceaccount: { name: 'b', uid: 'u' } } });
    expect(await outcome(valid)).toBe('identity');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: valid.length - 1 }), fc.constantFrom(...'ABCabc012-_.=+/ '.split('')), async (index, char) => {
        fc.pre(valid[index] !== char);
        const mutated = valid.slice(0, index) + char + valid.slice(index + 1);
        // base64url has spare bits: a few last-character changes decode to the same bytes, and stay valid.
        const same = Buffer.from(mutated.split('.')[2] ?? '', 'base64url').equals(Buffer.from(valid.split('.')[2] ?? '', 'base64url')) && mutated.split('.').slice(0, 2).join('.') === valid.split('.').slice(0, 2).join('.');
        expect(await outcome(mutated)).toBe(same && /^[A-Za-z0-9_-]+$/.test(mutated.split('.')[2] ?? '') ? 'identity' : 'auth-error');
      }),
      { numRuns: 2_000 },
    );
  });
});
