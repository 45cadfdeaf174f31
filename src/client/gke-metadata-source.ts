import http from 'node:http';
import type { TokenSource } from './call-credentials.js';
import { unverifiedExpiry } from './token-file.js';

export interface GkeMetadataIdentityOptions {
  /** `aud` of the requested ID token: the server's audience. */
  audience: string;
  /** Metadata server `host[:port]`. Default: `GCE_METADATA_HOST`, else `metadata.google.internal`. */
  host?: string;
  /** Per-request deadline. Default 5000 ms. */
  timeoutMs?: number;
  /** Fetch a new token this long before the cached one expires. Default 300 s. */
  refreshBeforeSeconds?: number;
  now?: () => number;
}

export class MetadataServerError extends Error {
  override readonly name = 'MetadataServerError';
}

/**
 * Google-signed ID tokens from the GKE metadata server (Workload Identity), the tutorial's second identity
 * source. Cached until `refreshBeforeSeconds` before `exp`; concurrent callers share one fetch.
 */
export function gkeMetadataIdentitySource(options: GkeMetadataIdentityOptions): TokenSource {
  const host = options.host ?? process.env.GCE_METADATA_HOST ?? 'metadata.google.internal';
  const timeoutMs = options.timeoutMs ?? 5_000;
  const refreshBefore = (options.refreshBeforeSeconds ?? 300) * 1000;
  const now = options.now ?? Date.now;
  const url = new URL(`http://${host}/computeMetadata/v1/instance/service-accounts/default/identity`);
  url.searchParams.set('audience', options.audience);
  url.searchParams.set('format', 'full');

  let cached: { token: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    const token = (await get(url, timeoutMs)).trim();
    const exp = unverifiedExpiry(token);
    if (exp === undefined) throw new MetadataServerError(`metadata server ${host} returned something that is not a JWT with exp`);
    cached = { token, refreshAt: exp * 1000 - refreshBefore };
    return token;
  };

  return {
    token() {
      if (cached !== undefined && now() < cached.refreshAt) return Promise.resolve(cached.token);
      pending ??= fetchToken().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}

function get(url: URL, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(timeoutMs), agent: false }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 65_536) request.destroy(new MetadataServerError('metadata server response exceeds 64 KiB'));
        else chunks.push(chunk);
      });
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new MetadataServerError(`metadata server ${url.host}: HTTP ${response.statusCode} (is Workload Identity enabled for this node pool?)`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
      response.on('error', reject);
    });
    request.on('error', (error) => {
      const reason = error.name === 'AbortError' || error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : error.message;
      reject(new MetadataServerError(`metadata server ${url.host}: ${reason}`));
    });
  });
}
