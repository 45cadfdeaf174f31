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
  const match = /^Bearer +([^ ]+) *$/i.exec(value);
  if (match?.[1] === undefined) throw new AuthError('not_bearer', 'authorization is not "Bearer <token>"');
  return match[1];
}
