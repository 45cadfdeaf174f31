import { hash as digestOf, verify as verifySignature } from 'node:crypto';
import { isSupportedAlgorithm, type JwsAlgorithm } from './algorithms.js';
import { AuthError } from './errors.js';
import { kubernetesIdentity, type WorkloadIdentity } from './identity.js';
import { decodePayload, parseCompactJws, signedBytes, type CompactJws } from './jws.js';
import type { VerificationKey } from './keys/key-set.js';
import type { KeySource } from './keys/key-source.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export interface VerifierOptions {
  /** Trusted issuer; `iss` must equal it byte for byte (AKS issuers end with "/": keep it). */
  issuer: string;
  /** This server's audience; `aud` must contain it. */
  audience: string;
  keys: KeySource;
  /** Allowed clock difference for `exp`, `nbf` and `iat`. Default 30 s. */
  clockSkewSeconds?: number;
  /** Longest accepted `exp − iat`, which refuses year-long default tokens. Default 86400 s (one day). */
  maxLifetimeSeconds?: number;
  /** Verified tokens remembered (by SHA-256), so repeat calls skip the signature check. 0 disables. Default 10000. */
  cacheSize?: number;
  /** Clock in ms; for tests. */
  now?: () => number;
}

export interface TokenVerifier {
  /** Resolves to the caller's identity, or rejects with AuthError (bad token) or KeysUnavailableError. */
  verify(token: string): Promise<WorkloadIdentity>;
  /**
   * The identity at once when the token was verified before and is still valid, otherwise what `verify`
   * returns: the interceptor admits a known token in the turn its call arrives, hashing it once.
   */
  lookupOrVerify?(token: string): WorkloadIdentity | Promise<WorkloadIdentity>;
  /** The identity of a token verified before and still valid, at once; undefined means "call verify". */
  cached?(token: string): WorkloadIdentity | undefined;
  /** `cached` for a token whose `tokenDigest` is at hand, so callers asking several verifiers hash it once. */
  cachedByDigest?(digest: string): WorkloadIdentity | undefined;
}

/** The key a token is cached under: its SHA-256, so the cache never holds a token. */
export function tokenDigest(token: string): string {
  return digestOf('sha256', token, 'base64');
}

/** Statistics of the verified-token cache, for benchmarks and tests. */
export interface VerifierStats {
  readonly cacheEntries: number;
  readonly cacheHits: number;
  readonly verifications: number;
}

/** Verifies Kubernetes projected service-account tokens: signature, then `iss`, `aud`, lifetime and claims. */
export function createVerifier(options: VerifierOptions): Required<TokenVerifier> & { stats(): VerifierStats } {
  const { issuer, audience, keys } = options;
  const skew = options.clockSkewSeconds ?? 30;
  const maxLifetime = options.maxLifetimeSeconds ?? 86_400;
  const now = options.now ?? Date.now;
  const cache = new VerifiedTokenCache(options.cacheSize ?? 10_000);
  // Concurrent first calls with one token share one verification.
  const inFlight = new Map<string, Promise<WorkloadIdentity>>();
  const isTrusted = (key: VerificationKey): boolean => keys.isTrusted(key);
  let cacheHits = 0;
  let verifications = 0;

  const lookup = (hash: string): WorkloadIdentity | undefined => {
    const identity = cache.get(hash, now(), isTrusted);
    if (identity !== undefined) cacheHits += 1;
    return identity;
  };

  const lookupOrVerify = (token: string): WorkloadIdentity | Promise<WorkloadIdentity> => {
    const hash = tokenDigest(token);
    const cached = lookup(hash);
    if (cached !== undefined) return cached;
    const pending = inFlight.size === 0 ? undefined : inFlight.get(hash);
    if (pending !== undefined) return pending;
    try {
      return verifyUncached(token, hash);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    cached: (token: string) => lookup(tokenDigest(token)),
    cachedByDigest: lookup,
    lookupOrVerify,
    verify: (token: string) => Promise.resolve(lookupOrVerify(token)),
    stats: () => ({ cacheEntries: cache.size, cacheHits, verifications }),
  };

  /**
   * Syntax and header checks run before anything else, so malformed tokens are refused without a key
   * lookup. With the key at hand the whole check runs now; otherwise it waits for the key source, and
   * concurrent first calls with the same token share that wait.
   */
  function verifyUncached(token: string, hash: string): Promise<WorkloadIdentity> {
    verifications += 1;
    const jws = parseCompactJws(token);
    const { alg, kid } = jws.header;
    if (!isSupportedAlgorithm(alg)) throw new AuthError('unsupported_algorithm', `alg ${JSON.stringify(alg)} is not accepted`);
    if (kid !== undefined && typeof kid !== 'string') throw new AuthError('malformed_token', 'kid is not a string');
    const held = keys.heldKey?.(kid, alg);
    if (held !== undefined) return Promise.resolve(remember(hash, verifySigned(jws, alg, held), held));
    const waiting = keys.getKey(kid, alg).then(
      (key) => {
        inFlight.delete(hash);
        if (key === undefined) throw new AuthError('unknown_key', `no trusted key for kid ${JSON.stringify(kid ?? null)}`);
        return remember(hash, verifySigned(jws, alg, key), key);
      },
      (error: unknown) => {
        inFlight.delete(hash);
        throw error;
      },
    );
    inFlight.set(hash, waiting);
    return waiting;
  }

  function remember(hash: string, identity: WorkloadIdentity, key: VerificationKey): WorkloadIdentity {
    // Never longer than the token itself, less the skew that only a fresh verification may grant.
    cache.set(hash, { identity, key, validUntil: identity.expiresAt.getTime() - skew * 1000 });
    return identity;
  }

  function verifySigned(jws: CompactJws, alg: JwsAlgorithm, key: VerificationKey): WorkloadIdentity {
    // The key decides which algorithms it verifies: a header cannot turn an RSA key into an HMAC secret.
    const check = key.algorithms.get(alg);
    if (check === undefined) throw new AuthError('unsupported_algorithm', `key ${JSON.stringify(key.kid ?? null)} does not verify ${alg}`);
    if (!verifySignature(check.digest, signedBytes(jws), check.key, jws.signature)) {
      throw new AuthError('bad_signature', 'signature does not verify');
    }
    return checkClaims(decodePayload(jws), Math.floor(now() / 1000));
  }

  function checkClaims(claims: Record<string, unknown>, nowSeconds: number): WorkloadIdentity {
    if (claims.iss !== issuer) throw new AuthError('wrong_issuer', `iss ${JSON.stringify(claims.iss)} is not the trusted issuer`);
    const audiences = audienceList(claims.aud);
    if (!audiences.includes(audience)) throw new AuthError('wrong_audience', `aud ${JSON.stringify(audiences)} does not include this server's audience`);
    const exp = numericDate(claims.exp, 'exp', true);
    const nbf = numericDate(claims.nbf, 'nbf', false);
    const iat = numericDate(claims.iat, 'iat', false);
    if (nowSeconds - skew >= exp) throw new AuthError('expired', `expired at ${new Date(exp * 1000).toISOString()}`);
    if (nbf !== undefined && nowSeconds + skew < nbf) throw new AuthError('not_yet_valid', `not valid before ${new Date(nbf * 1000).toISOString()}`);
    if (iat !== undefined && nowSeconds + skew < iat) throw new AuthError('not_yet_valid', 'issued in the future');
    const start = iat ?? nbf;
    if (start !== undefined && exp - start > maxLifetime) {
      throw new AuthError('lifetime_too_long', `lifetime ${exp - start} s exceeds the ${maxLifetime} s maximum`);
    }
    const subject = claims.sub;
    if (typeof subject !== 'string') throw new AuthError('missing_claim', 'no "sub" claim');
    const k8s = kubernetesIdentity(claims);
    // Frozen: one cached identity is handed to every call that presents the token.
    return Object.freeze({
      issuer,
      subject,
      namespace: k8s.namespace,
      serviceAccount: k8s.serviceAccount,
      pod: k8s.pod,
      node: k8s.node,
      audiences,
      expiresAt: new Date(exp * 1000),
      issuedAt: iat === undefined ? undefined : new Date(iat * 1000),
      tokenId: typeof claims.jti === 'string' ? claims.jti : undefined,
    });
  }
}

/** `aud` as a frozen list of strings (Kubernetes sends an array; RFC 7519 also allows one string). */
function audienceList(aud: unknown): readonly string[] {
  if (typeof aud === 'string') return Object.freeze([aud]);
  if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return Object.freeze(aud as string[]);
  throw new AuthError('missing_claim', 'no "aud" claim');
}

function numericDate(value: unknown, name: string, required: true): number;
function numericDate(value: unknown, name: string, required: false): number | undefined;
function numericDate(value: unknown, name: string, required: boolean): number | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new AuthError('missing_claim', `"${name}" is ${value === undefined ? 'missing' : 'not a number'}`);
  }
  return value;
}
