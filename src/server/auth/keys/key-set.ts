import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { algorithmsForKey, isSupportedAlgorithm, verifyParams, type JwsAlgorithm, type SignatureCheck } from '../algorithms.js';

/** A public key from a JWKS, imported once, with the algorithms it may verify. */
export interface VerificationKey {
  readonly kid: string | undefined;
  readonly key: KeyObject;
  /** The algorithms this key may verify, each with its `crypto.verify` arguments, made once per key. */
  readonly algorithms: ReadonlyMap<JwsAlgorithm, SignatureCheck>;
  /** The key's public parameters: equal fingerprints are the same key, across JWKS reloads. */
  readonly fingerprint: string;
}

/** Upper bound on keys kept from one JWKS; issuers publish a handful. */
export const MAX_KEYS = 64;

export class InvalidJwksError extends Error {
  override readonly name = 'InvalidJwksError';
}

/** An immutable set of verification keys, built from a JWKS document. */
export class KeySet {
  private constructor(
    private readonly byKid: ReadonlyMap<string, VerificationKey>,
    private readonly withoutKid: readonly VerificationKey[],
    /** Why individual keys were left out (weak, symmetric, private, unknown type…). */
    readonly skipped: readonly string[],
  ) {}

  /** Parses a JWKS (`{"keys":[…]}`); throws InvalidJwksError unless at least one key is usable. */
  static fromJwks(jwks: unknown): KeySet {
    if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
      throw new InvalidJwksError('not a JWKS: expected a JSON object with a "keys" array');
    }
    const entries = (jwks as { keys: unknown[] }).keys;
    if (entries.length > MAX_KEYS) throw new InvalidJwksError(`JWKS has ${entries.length} keys; at most ${MAX_KEYS} are accepted`);
    const byKid = new Map<string, VerificationKey>();
    const withoutKid: VerificationKey[] = [];
    const skipped: string[] = [];
    entries.forEach((entry, index) => {
      const result = importKey(entry);
      if (typeof result === 'string') {
        skipped.push(`key ${index}: ${result}`);
      } else if (result.kid === undefined) {
        withoutKid.push(result);
      } else if (byKid.has(result.kid)) {
        // Two keys under one kid make the lookup ambiguous; trust neither.
        skipped.push(`key ${index}: duplicate kid`);
        byKid.delete(result.kid);
      } else {
        byKid.set(result.kid, result);
      }
    });
    if (byKid.size + withoutKid.length === 0) {
      throw new InvalidJwksError(`JWKS has no usable signing key${skipped.length ? ` (${skipped.join('; ')})` : ''}`);
    }
    return new KeySet(byKid, withoutKid, skipped);
  }

  get size(): number {
    return this.byKid.size + this.withoutKid.length;
  }

  get kids(): string[] {
    return [...this.byKid.keys()];
  }

  /**
   * The key a token names. A token without `kid` is matched only when exactly one key could verify it,
   * so a kid-less token never makes us try keys one after another.
   */
  find(kid: string | undefined, alg: JwsAlgorithm): VerificationKey | undefined {
    if (kid !== undefined) return this.byKid.get(kid);
    const candidates = [...this.byKid.values(), ...this.withoutKid].filter((k) => k.algorithms.has(alg));
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  /** The same key (kid and public parameters) is still in this set: keys removed by the issuer are not. */
  has(key: VerificationKey): boolean {
    if (key.kid !== undefined) return this.byKid.get(key.kid)?.fingerprint === key.fingerprint;
    return this.withoutKid.some((k) => k.fingerprint === key.fingerprint);
  }
}

function importKey(entry: unknown): VerificationKey | string {
  if (typeof entry !== 'object' || entry === null) return 'not an object';
  const jwk = entry as Record<string, unknown>;
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') return `key type ${JSON.stringify(jwk.kty)} is not accepted (RSA or EC only)`;
  if (jwk.use !== undefined && jwk.use !== 'sig') return `use ${JSON.stringify(jwk.use)} is not "sig"`;
  if (jwk.d !== undefined) return 'contains private key material';
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid.length === 0)) return 'kid is not a non-empty string';
  if (jwk.alg !== undefined && !isSupportedAlgorithm(jwk.alg)) return `alg ${JSON.stringify(jwk.alg)} is not supported`;
  let key: KeyObject;
  const publicJwk: JsonWebKey = jwk.kty === 'RSA' ? { kty: 'RSA', n: jwk.n as string, e: jwk.e as string } : { kty: 'EC', crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string };
  try {
    key = createPublicKey({ key: publicJwk, format: 'jwk' });
  } catch {
    return 'cannot be imported as a public key';
  }
  let algorithms = algorithmsForKey(key);
  if (jwk.alg !== undefined) algorithms = algorithms.filter((alg) => alg === jwk.alg);
  if (algorithms.length === 0) return 'too weak, or its declared alg does not fit the key';
  const fingerprint = `${String(jwk.alg ?? '')}:${Object.values(publicJwk).join(':')}`;
  return { kid: jwk.kid as string | undefined, key, algorithms: new Map(algorithms.map((alg) => [alg, verifyParams(alg, key)])), fingerprint };
}
