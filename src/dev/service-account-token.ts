import { createHash, randomUUID, sign } from 'node:crypto';
import type { SigningKey } from './signing-key.js';

export interface TokenRequest {
  issuer: string;
  /** `aud` is always an array in Kubernetes tokens. */
  audiences: readonly string[];
  namespace: string;
  serviceAccount: string;
  /** `expirationSeconds` of the projected volume. Default 3600 (Kubernetes' default; minimum 600). */
  expirationSeconds?: number;
  /** Bound pod; default: a pod name derived from the service account. `null`: not pod-bound. */
  pod?: { name: string; uid?: string } | null;
  /** Node the pod runs on. Default `worker-1`. `null`: omit (clusters before 1.30). */
  node?: { name: string; uid?: string } | null;
  /** Issue time in seconds since the epoch. Default: now. */
  issuedAt?: number;
}

/**
 * Signs a token with exactly the header and claims kube-apiserver puts in a pod-bound projected token:
 * header `{"alg","kid"}` only, compact JSON with keys sorted at every level, `iat` = `nbf`, `jti`.
 */
export function mintServiceAccountToken(key: SigningKey, request: TokenRequest): string {
  const iat = request.issuedAt ?? Math.floor(Date.now() / 1000);
  const exp = iat + (request.expirationSeconds ?? 3600);
  const pod = request.pod === null ? undefined : { name: request.pod?.name ?? defaultPodName(request), uid: request.pod?.uid ?? stableUid('pod', request) };
  const node = request.node === null || pod === undefined ? undefined : { name: request.node?.name ?? 'worker-1', uid: request.node?.uid ?? stableUid('node', request) };
  const claims = {
    aud: [...request.audiences],
    exp,
    iat,
    iss: request.issuer,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: request.namespace,
      ...(node ? { node } : {}),
      ...(pod ? { pod } : {}),
      serviceaccount: { name: request.serviceAccount, uid: stableUid('serviceaccount', request) },
    },
    nbf: iat,
    sub: `system:serviceaccount:${request.namespace}:${request.serviceAccount}`,
  };
  return signCompact(key, { alg: key.alg, kid: key.kid }, claims);
}

/** Signs any header and payload as given, keys sorted; for tests that need odd tokens. */
export function signCompact(key: SigningKey, header: object, payload: object): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(sortKeys(value))).toString('base64url');
  const signingInput = `${encode(header)}.${encode(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}

function defaultPodName(request: TokenRequest): string {
  const hash = createHash('sha256').update(`${request.namespace}/${request.serviceAccount}`).digest('hex');
  return `${request.serviceAccount}-${hash.slice(0, 9)}-${hash.slice(9, 14)}`;
}

/** A UUID-shaped id that stays the same for the same object, as a real object's uid does. */
function stableUid(kind: string, request: TokenRequest): string {
  const h = createHash('sha256').update(`${kind}:${request.namespace}/${request.serviceAccount}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
