import type { Metadata } from '@grpc/grpc-js';
import type { WorkloadIdentity } from './identity.js';

// Stored on the call's Metadata object, which grpc-js hands from the interceptor to the handler, under a
// module-private symbol: nothing a client sends can create a symbol-keyed property, and it dies with the
// call. (A WeakMap would do the same, at several times the cost per call in the garbage collector.)
const IDENTITY = Symbol('grpc-workload-identity.identity');

type WithIdentity = Metadata & { [IDENTITY]?: WorkloadIdentity };

/** For the interceptor only: attaches a verified identity to the call that carries `metadata`. */
export function bindIdentity(metadata: Metadata, identity: WorkloadIdentity): void {
  (metadata as WithIdentity)[IDENTITY] = identity;
}

/** The verified caller of an authenticated method, or undefined (public method, or no auth interceptor). */
export function findIdentity(call: { readonly metadata: Metadata }): WorkloadIdentity | undefined {
  return (call.metadata as WithIdentity)[IDENTITY];
}

export class MissingIdentityError extends Error {
  override readonly name = 'MissingIdentityError';
}

/** The verified caller. Throws MissingIdentityError on a call the auth interceptor did not authenticate. */
export function getIdentity(call: { readonly metadata: Metadata }): WorkloadIdentity {
  const identity = (call.metadata as WithIdentity)[IDENTITY];
  if (identity === undefined) {
    throw new MissingIdentityError('no verified identity on this call: is the method public, or the auth interceptor not installed?');
  }
  return identity;
}
