import { AuthError } from './errors.js';

/** The protected header fields we act on. Everything else (`jku`, `x5u`, `jwk`, `x5c`, `typ`…) is ignored. */
export interface JwsHeader {
  readonly alg: unknown;
  readonly kid: unknown;
}

export interface CompactJws {
  readonly header: JwsHeader;
  /** The payload segment (base64url) as sent; decode it with `decodePayload` only after the signature checks out. */
  readonly payloadSegment: string;
  /** `<header>.<payload>` exactly as sent: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function isBase64urlSegment(part: string): boolean {
  return BASE64URL.test(part) && part.length % 4 !== 1;
}

/**
 * Parsed headers by their exact base64url text. An issuer signs every token with the same few headers
 * (`{"alg":"RS256","kid":"…"}`), so decoding and parsing one is paid once per key, not once per token.
 * Only headers that parse are remembered, and the memo is emptied when full, so no input can grow it.
 */
const HEADER_MEMO_SIZE = 256;
const headerMemo = new Map<string, JwsHeader>();

function parseHeader(segment: string): JwsHeader {
  const known = headerMemo.get(segment);
  if (known !== undefined) return known;
  if (!isBase64urlSegment(segment)) throw new AuthError('malformed_token', 'a part is empty or not base64url');
  const json = parseJsonObject(Buffer.from(segment, 'base64url'), 'header');
  if (Object.hasOwn(json, 'crit')) {
    throw new AuthError('critical_header', 'token declares critical header extensions we do not implement');
  }
  const header: JwsHeader = Object.freeze({ alg: json.alg, kid: json.kid });
  if (headerMemo.size >= HEADER_MEMO_SIZE) headerMemo.clear();
  headerMemo.set(segment, header);
  return header;
}

/** Splits a compact JWS into its parts. Syntax only: nothing here is trusted yet. */
export function parseCompactJws(token: string): CompactJws {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) {
    throw new AuthError('malformed_token', 'not a compact JWS (three dot-separated parts)');
  }
  const signatureSegment = token.slice(second + 1);
  // An empty signature is how `alg: none` tokens look; it never gets further than this. The payload's
  // text needs no check of its own: the signature covers its UTF-8 bytes exactly (see signedBytes).
  if (second === first + 1 || !isBase64urlSegment(signatureSegment)) {
    throw new AuthError('malformed_token', 'a part is empty or not base64url');
  }
  return {
    header: parseHeader(token.slice(0, first)),
    payloadSegment: token.slice(first + 1, second),
    signingInput: token.slice(0, second),
    signature: Buffer.from(signatureSegment, 'base64url'),
  };
}

/**
 * The bytes the signature must cover: the signing input as UTF-8. An issuer signs ASCII (base64url text),
 * and UTF-8 maps only ASCII text to ASCII bytes, so a signature that verifies proves the text is exactly
 * the issuer's; the lenient base64url decoder then reads the issuer's own payload. (latin1 would not do:
 * it maps "Ā" to a byte the issuer may have signed, while the decoder skips the "Ā".)
 */
export function signedBytes(jws: CompactJws): Buffer {
  return Buffer.from(jws.signingInput, 'utf8');
}

/** The claims of a parsed token, as a JSON object. */
export function decodePayload(jws: CompactJws): Record<string, unknown> {
  return parseJsonObject(Buffer.from(jws.payloadSegment, 'base64url'), 'payload');
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
