import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AuthError, extractBearer } from '../../src/server/auth/index.js';

function metadataWith(...values: (string | Buffer)[]): Metadata {
  const metadata = new Metadata();
  for (const value of values) metadata.add(typeof value === 'string' ? 'authorization' : 'authorization-bin', value);
  return metadata;
}

function reason(metadata: Metadata, max?: number): string {
  try {
    extractBearer(metadata, max);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return (error as AuthError).reason;
  }
  throw new Error('expected a rejection');
}

describe('extractBearer', () => {
  it('returns the token of one Bearer value, whatever the scheme case', () => {
    expect(extractBearer(metadataWith('Bearer abc.def.ghi'))).toBe('abc.def.ghi');
    expect(extractBearer(metadataWith('bearer abc.def.ghi'))).toBe('abc.def.ghi');
    expect(extractBearer(metadataWith('BEARER   abc.def.ghi  '))).toBe('abc.def.ghi');
  });

  it('refuses no value, several values, and other schemes', () => {
    expect(reason(new Metadata())).toBe('missing_credentials');
    expect(reason(metadataWith('Bearer a.b.c', 'Bearer d.e.f'))).toBe('multiple_credentials');
    expect(reason(metadataWith('Basic dXNlcjpwYXNz'))).toBe('not_bearer');
    expect(reason(metadataWith('Bearer'))).toBe('not_bearer');
    expect(reason(metadataWith('Bearer a.b.c extra'))).toBe('not_bearer');
    expect(reason(metadataWith('abc.def.ghi'))).toBe('not_bearer');
    expect(reason(metadataWith('Bearer    '))).toBe('not_bearer');
    expect(reason(metadataWith('Bearerx abc.def.ghi'))).toBe('not_bearer');
    expect(reason(metadataWith(' Bearer abc.def.ghi'))).toBe('not_bearer');
  });

  it('refuses an oversized value before looking at it', () => {
    expect(reason(metadataWith(`Bearer ${'a'.repeat(20_000)}`))).toBe('token_too_large');
    expect(reason(metadataWith(`Bearer ${'a'.repeat(101)}`), 100)).toBe('token_too_large');
  });
});
