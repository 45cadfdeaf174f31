import type { WorkloadIdentity } from '../identity.js';

/** A verified caller's admission check; false means PERMISSION_DENIED and the handler never runs. */
export type AuthorizeFn = (identity: WorkloadIdentity, methodPath: string) => boolean;

const PATTERN = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/**
 * Admits callers whose subject is listed: `system:serviceaccount:<namespace>:<name>`, where `<name>` may be
 * `*` for every service account of the namespace. Throws on an entry of another shape, naming it.
 */
export function subjectAllowList(entries: readonly string[]): AuthorizeFn {
  const exact = new Set<string>();
  const namespaces = new Set<string>();
  for (const entry of entries) {
    const match = PATTERN.exec(entry);
    if (match === null) {
      throw new Error(`authorized subject ${JSON.stringify(entry)} is not system:serviceaccount:<namespace>:<name or *>`);
    }
    if (match[3] === '*') namespaces.add(match[1] as string);
    else exact.add(entry);
  }
  return (identity) => exact.has(identity.subject) || namespaces.has(identity.namespace);
}
