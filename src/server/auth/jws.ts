import { AuthError } from './errors.js';

/** The protected header fields we act on. Everything else (`jku`, `x5u`, `jwk`, `x5c`, `typ`…) is ignored. */
export interface JwsHeader {
  readonly alg: unknown;
  readonly kid: unknown;
}

export interface CompactJws {
  readonly header: JwsHeader;
  /** Raw JSON bytes of the payload; parsed only after the signature checks out. */
  readonly payload: Buffer;
  /** `<header>.<payload>` exactly as sent: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Splits a compact JWS into its parts. Syntax only: nothing here is trusted yet. */
export function parseCompactJws(token: string): CompactJws {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) {
    throw new AuthError('malformed_token', 'not a compact JWS (three dot-separated parts)');
  }
  const parts = [token.slice(0, first), token.slice(first + 1, second), token.slice(second + 1)] as const;
  // An empty signature is how `alg: none` tokens look; it never gets further than this.
  if (!parts.every((part) => BASE64URL.test(part) && part.length % 4 !== 1)) {
    throw new AuthError('malformed_token', 'a part is empty or not base64url');
  }
  const headerJson = parseJsonObject(Buffer.from(parts[0], 'base64url'), 'header');
  if (Object.hasOwn(headerJson, 'crit')) {
    throw new AuthError('critical_header', 'token declares critical header extensions we do not implement');
  }
  return {
    header: { alg: headerJson.alg, kid: headerJson.kid },
    payload: Buffer.from(parts[1], 'base64url'),
    signingInput: token.slice(0, second),
    signature: Buffer.from(parts[2], 'base64url'),
  };
}

export function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AuthError('malformed_token', `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AuthError('malformed_token', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
