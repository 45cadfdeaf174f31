import { fetchJson, FetchError, type FetchJsonOptions } from './fetch-json.js';
import type { JwksUriResolver } from './remote-jwks.js';

export interface DiscoveryOptions extends Pick<FetchJsonOptions, 'ca'> {
  /** Default 5000 ms. */
  timeoutMs?: number;
  /** Extra headers per request URL, e.g. a bearer token for an in-cluster issuer. */
  headers?: (url: URL) => Record<string, string> | undefined;
  /** Accept an `http:` jwks_uri (local development only). Default false. */
  allowHttp?: boolean;
  /** How long a discovered jwks_uri is used before discovery runs again. Default 3600000 ms (1 h). */
  rediscoverAfterMs?: number;
  now?: () => number;
}

/** `<issuer>/.well-known/openid-configuration`, with one trailing slash of the issuer dropped (OIDC Discovery §4). */
export function discoveryUrl(issuer: string): URL {
  return new URL(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
}

/**
 * Finds the JWKS URL by OIDC discovery. The document's `issuer` must equal ours byte for byte, so a
 * document for another issuer cannot hand us its keys. The jwks_uri found is reused for `rediscoverAfterMs`.
 */
export function discoverJwksUri(issuer: string, options: DiscoveryOptions = {}): JwksUriResolver {
  const now = options.now ?? Date.now;
  const rediscoverAfterMs = options.rediscoverAfterMs ?? 3_600_000;
  let found: { uri: URL; at: number } | undefined;
  return async () => {
    if (found !== undefined && now() - found.at < rediscoverAfterMs) return found.uri;
    const url = discoveryUrl(issuer);
    const doc = await fetchJson(url, { timeoutMs: options.timeoutMs ?? 5_000, maxBytes: 65_536, ca: options.ca, headers: options.headers?.(url) });
    const { issuer: advertised, jwks_uri: jwksUri } = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    if (advertised !== issuer) {
      throw new FetchError(`${url.href}: document is for issuer ${JSON.stringify(advertised)}, not ${JSON.stringify(issuer)}`);
    }
    if (typeof jwksUri !== 'string') throw new FetchError(`${url.href}: no jwks_uri`);
    let parsed: URL;
    try {
      parsed = new URL(jwksUri);
    } catch {
      throw new FetchError(`${url.href}: jwks_uri ${JSON.stringify(jwksUri)} is not a URL`);
    }
    if (parsed.protocol !== 'https:' && !(options.allowHttp && parsed.protocol === 'http:')) {
      throw new FetchError(`${url.href}: jwks_uri ${parsed.href} is not https (set ALLOW_HTTP_ISSUER=true for local development)`);
    }
    found = { uri: parsed, at: now() };
    return parsed;
  };
}
