import type { Metadata } from '@grpc/grpc-js';
import type { WorkloadIdentity } from './identity.js';

// Keyed by the call's Metadata object, which grpc-js hands from the interceptor to the handler. A module-
// private WeakMap cannot be written by anything a client sends, and entries die with the call.
const identities = new WeakMap<Metadata, WorkloadIdentity>();

/** For the interceptor only: attaches a verified identity to the call that carries `metadata`. */
export function bindIdentity(metadata: Metadata, identity: WorkloadIdentity): void {
  identities.set(metadata, identity);
}

/** The verified caller of an authenticated method, or undefined (public method, or no auth interceptor). */
export function findIdentity(call: { readonly metadata: Metadata }): WorkloadIdentity | undefined {
  return identities.get(call.metadata);
}

export class MissingIdentityError extends Error {
  override readonly name = 'MissingIdentityError';
}

/** The verified caller. Throws MissingIdentityError on a call the auth interceptor did not authenticate. */
export function getIdentity(call: { readonly metadata: Metadata }): WorkloadIdentity {
  const identity = identities.get(call.metadata);
  if (identity === undefined) {
    throw new MissingIdentityError('no verified identity on this call: is the method public, or the auth interceptor not installed?');
  }
  return identity;
}
