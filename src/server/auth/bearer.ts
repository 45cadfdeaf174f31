import type { Metadata } from '@grpc/grpc-js';
import { AuthError } from './errors.js';

/** Largest bearer token accepted; real service-account tokens are 1–2 KiB. Default for `maxTokenBytes`. */
export const DEFAULT_MAX_TOKEN_BYTES = 16_384;

/** The one `authorization: Bearer <token>` value of a call. Anything else is refused before any crypto. */
export function extractBearer(metadata: Metadata, maxTokenBytes = DEFAULT_MAX_TOKEN_BYTES): string {
  const values = metadata.get('authorization');
  if (values.length === 0) throw new AuthError('missing_credentials', 'no authorization metadata');
  if (values.length > 1) throw new AuthError('multiple_credentials', `${values.length} authorization values`);
  const value = values[0];
  if (typeof value !== 'string') throw new AuthError('not_bearer', 'authorization value is binary');
  if (value.length > maxTokenBytes + 7) throw new AuthError('token_too_large', `authorization value of ${value.length} bytes`);
  // "Bearer" (any case), one or more spaces, the token, optional trailing spaces: RFC 6750 with lenient spacing.
  if (!startsWithBearer(value)) throw new AuthError('not_bearer', 'authorization is not "Bearer <token>"');
  let start = 7;
  while (value.charCodeAt(start) === 32) start += 1;
  let end = value.length;
  while (end > start && value.charCodeAt(end - 1) === 32) end -= 1;
  const token = value.slice(start, end);
  if (token.length === 0 || token.includes(' ')) throw new AuthError('not_bearer', 'authorization is not "Bearer <token>"');
  return token;
}

const BEARER = 'bearer ';

/** `value` starts with "Bearer " in any letter case (compared without allocating). */
function startsWithBearer(value: string): boolean {
  if (value.length < 8) return false;
  for (let i = 0; i < 6; i += 1) {
    // ASCII letters: setting bit 0x20 lower-cases them.
    if ((value.charCodeAt(i) | 0x20) !== BEARER.charCodeAt(i)) return false;
  }
  return value.charCodeAt(6) === 32;
}
