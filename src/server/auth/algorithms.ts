import { constants, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';

/** Asymmetric JWS algorithms we verify. HMAC and `none` are absent by design, so no header can select them. */
export const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const SUPPORTED = new Set<string>(SUPPORTED_ALGORITHMS);

export function isSupportedAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return typeof alg === 'string' && SUPPORTED.has(alg);
}

/** Minimum RSA modulus: smaller keys are refused when the JWKS is loaded. */
export const MIN_RSA_BITS = 2048;

const EC_CURVE: Partial<Record<JwsAlgorithm, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** The algorithms a public key can verify, decided by the key itself (never by the token header). */
export function algorithmsForKey(key: KeyObject): JwsAlgorithm[] {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    if ((details?.modulusLength ?? 0) < MIN_RSA_BITS) return [];
    return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  }
  if (key.asymmetricKeyType === 'ec') {
    return SUPPORTED_ALGORITHMS.filter((alg) => EC_CURVE[alg] !== undefined && EC_CURVE[alg] === details?.namedCurve);
  }
  return [];
}

/** Arguments for node:crypto `verify` that check one JWS algorithm with one key. */
export interface SignatureCheck {
  readonly digest: string;
  /** The key itself where no option is needed (RSA PKCS#1 v1.5), which spares `verify` reading options. */
  readonly key: KeyObject | VerifyKeyObjectInput;
}

/** Arguments for node:crypto `verify` for a JWS algorithm. */
export function verifyParams(alg: JwsAlgorithm, key: KeyObject): SignatureCheck {
  const digest = `sha${alg.slice(2)}`;
  switch (alg.slice(0, 2)) {
    case 'PS':
      return { digest, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } };
    case 'ES':
      return { digest, key: { key, dsaEncoding: 'ieee-p1363' } };
    default:
      return { digest, key };
  }
}
