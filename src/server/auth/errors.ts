/** Why a call was not authenticated. Logged on the server; never sent to the client verbatim. */
export type AuthFailureReason =
  | 'missing_credentials'
  | 'multiple_credentials'
  | 'not_bearer'
  | 'token_too_large'
  | 'malformed_token'
  | 'unsupported_algorithm'
  | 'critical_header'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claim'
  | 'lifetime_too_long'
  | 'not_a_service_account_token';

/** The token (or its absence) is the caller's fault: UNAUTHENTICATED. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly reason: AuthFailureReason,
    /** Server-side detail; may name claims but never contains the token. */
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** No usable keys could be obtained from the issuer: the caller did nothing wrong, UNAVAILABLE. */
export class KeysUnavailableError extends Error {
  override readonly name = 'KeysUnavailableError';
}

/** A verified caller that the server's policy does not admit: PERMISSION_DENIED. */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError';
}
