import { AuthError } from './errors.js';

export interface ObjectRef {
  readonly name: string;
  readonly uid: string;
}

/** Who called, as proven by a verified Kubernetes service-account token. Built only by the verifier. */
export interface WorkloadIdentity {
  /** `iss`, equal byte for byte to the issuer the server trusts. */
  readonly issuer: string;
  /** `sub`: `system:serviceaccount:<namespace>:<name>`. */
  readonly subject: string;
  readonly namespace: string;
  readonly serviceAccount: ObjectRef;
  /** The pod the token is bound to; absent for tokens bound to a Secret or to nothing. */
  readonly pod: ObjectRef | undefined;
  /** The node the pod runs on (Kubernetes ≥ 1.30); its uid may be empty. */
  readonly node: ObjectRef | undefined;
  readonly audiences: readonly string[];
  readonly expiresAt: Date;
  readonly issuedAt: Date | undefined;
  /** `jti` (Kubernetes ≥ 1.30): lets audit logs be matched with the API server's. */
  readonly tokenId: string | undefined;
}

/** The Kubernetes part of the claims, checked for shape and agreement with `sub`. */
export function kubernetesIdentity(claims: Record<string, unknown>): Pick<WorkloadIdentity, 'namespace' | 'serviceAccount' | 'pod' | 'node'> {
  const k8s = claims['kubernetes.io'];
  if (!isRecord(k8s)) {
    throw new AuthError('not_a_service_account_token', 'no "kubernetes.io" claim (legacy or foreign token)');
  }
  const namespace = k8s.namespace;
  const serviceAccount = objectRef(k8s.serviceaccount, true);
  if (typeof namespace !== 'string' || namespace === '' || serviceAccount === undefined) {
    throw new AuthError('not_a_service_account_token', '"kubernetes.io" lacks namespace or serviceaccount');
  }
  if (claims.sub !== `system:serviceaccount:${namespace}:${serviceAccount.name}`) {
    throw new AuthError('not_a_service_account_token', '"sub" does not match the "kubernetes.io" claims');
  }
  return { namespace, serviceAccount, pod: objectRef(k8s.pod, true), node: objectRef(k8s.node, false) };
}

function objectRef(value: unknown, uidRequired: boolean): ObjectRef | undefined {
  if (!isRecord(value) || typeof value.name !== 'string' || value.name === '') return undefined;
  if (typeof value.uid !== 'string' && (uidRequired || value.uid !== undefined)) return undefined;
  return Object.freeze({ name: value.name, uid: typeof value.uid === 'string' ? value.uid : '' });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
