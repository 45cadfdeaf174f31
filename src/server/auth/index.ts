// Public API of the server-side library: everything another service needs to authenticate its callers.
export { SUPPORTED_ALGORITHMS, type JwsAlgorithm } from './algorithms.js';
export { extractBearer, DEFAULT_MAX_TOKEN_BYTES } from './bearer.js';
export { getIdentity, findIdentity, MissingIdentityError } from './call-identity.js';
export { AuthError, KeysUnavailableError, type AuthFailureReason } from './errors.js';
export type { WorkloadIdentity, ObjectRef } from './identity.js';
export { createAuthInterceptor, CLIENT_MESSAGES, type AuthInterceptorOptions } from './interceptor.js';
export { KeySet, InvalidJwksError, type VerificationKey } from './keys/key-set.js';
export type { KeySource, KeySourceStatus } from './keys/key-source.js';
export { staticJwks, jwksFile } from './keys/static-jwks.js';
export { remoteJwks, type RemoteJwks, type RemoteJwksOptions, type JwksUriResolver } from './keys/remote-jwks.js';
export { discoverJwksUri, discoveryUrl, type DiscoveryOptions } from './keys/oidc-discovery.js';
export { FetchError } from './keys/fetch-json.js';
export {
  publicMethods,
  publicMethodsFromProto,
  publicMethodsFromDescriptors,
  BUILT_IN_PUBLIC_SERVICES,
  PUBLIC_OPTION,
  PUBLIC_OPTION_NUMBER,
  type PublicMethods,
} from './policy/public-methods.js';
export { subjectAllowList, type AuthorizeFn } from './policy/subject-allow-list.js';
export { createVerifier, type TokenVerifier, type VerifierOptions } from './verifier.js';
export { createMultiIssuerVerifier } from './multi-issuer.js';
