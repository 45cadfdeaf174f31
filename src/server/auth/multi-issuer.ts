import { AuthError } from './errors.js';
import type { WorkloadIdentity } from './identity.js';
import { decodePayload, parseCompactJws } from './jws.js';
import { tokenDigest, type TokenVerifier } from './verifier.js';

/**
 * Trusts several clusters at once. The unverified `iss` only picks which issuer's verifier runs; that
 * verifier checks the signature against its own issuer's keys alone, and `iss` again, so a token can
 * never be checked against another cluster's keys.
 */
export function createMultiIssuerVerifier(entries: readonly { issuer: string; verifier: TokenVerifier }[]): TokenVerifier {
  const byIssuer = new Map(entries.map((e) => [e.issuer, e.verifier]));
  if (byIssuer.size !== entries.length) throw new Error('each issuer may be trusted once');
  const only = entries.length === 1 ? entries[0]?.verifier : undefined;
  if (only !== undefined) return only;
  // A token in any issuer's cache was verified by that issuer, against its own keys.
  const cached = (token: string): WorkloadIdentity | undefined => {
    let digest: string | undefined;
    for (const { verifier } of entries) {
      const identity = verifier.cachedByDigest !== undefined ? verifier.cachedByDigest((digest ??= tokenDigest(token))) : verifier.cached?.(token);
      if (identity !== undefined) return identity;
    }
    return undefined;
  };
  // Not in any cache: the unverified `iss` picks the one verifier that may check it.
  const verifyByIssuer = (token: string): Promise<WorkloadIdentity> => {
    try {
      const iss = decodePayload(parseCompactJws(token)).iss;
      const verifier = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
      if (verifier === undefined) throw new AuthError('wrong_issuer', `iss ${JSON.stringify(iss)} is not a trusted issuer`);
      return verifier.verify(token);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const lookupOrVerify = (token: string): WorkloadIdentity | Promise<WorkloadIdentity> => cached(token) ?? verifyByIssuer(token);
  return { cached, lookupOrVerify, verify: (token) => Promise.resolve(lookupOrVerify(token)) };
}
