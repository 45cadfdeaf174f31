import http from 'node:http';
import https from 'node:https';

export interface FetchJsonOptions {
  /** Whole-request deadline, connect to last byte. */
  timeoutMs: number;
  /** Larger bodies are refused while streaming, before they are buffered whole. */
  maxBytes: number;
  /** PEM CA bundle trusted for https (in-cluster: the service account's ca.crt). Default: system roots. */
  ca?: string | Buffer | undefined;
  /** Extra request headers, e.g. `authorization` for an in-cluster issuer. */
  headers?: Record<string, string> | undefined;
}

const HINTS: Record<number, string> = {
  401: ' (the issuer wants authentication: in-cluster, set ISSUER_TOKEN_FILE, and JWKS_URI on the issuer host)',
  403: ' (forbidden: bind ClusterRole system:service-account-issuer-discovery to this service account)',
};

export class FetchError extends Error {
  override readonly name = 'FetchError';
}

/**
 * GET a JSON document with a deadline and a size cap. Redirects are not followed and non-JSON content
 * types are refused, so a misconfigured URL fails loudly instead of being parsed as keys.
 */
export function fetchJson(url: URL, options: FetchJsonOptions): Promise<unknown> {
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (client === undefined) return Promise.reject(new FetchError(`${url.href}: unsupported scheme ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const fail = (message: string): void => {
      request.destroy();
      reject(new FetchError(`${url.href}: ${message}`));
    };
    const request = client.get(
      url,
      {
        headers: { accept: 'application/json, application/jwk-set+json', ...options.headers },
        // A fresh connection per fetch: fetches are rare, and a pooled socket the issuer closed would fail spuriously.
        agent: false,
        ...(url.protocol === 'https:' && options.ca !== undefined ? { ca: options.ca } : {}),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) return fail(`HTTP ${status}${HINTS[status] ?? (status >= 300 && status < 400 ? ' (redirects are not followed)' : '')}`);
        const type = response.headers['content-type'];
        if (type !== undefined && !/json/i.test(type)) return fail(`content type ${type} is not JSON`);
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > options.maxBytes) return fail(`body of ${declared} bytes exceeds the ${options.maxBytes}-byte limit`);
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) return fail(`body exceeds the ${options.maxBytes}-byte limit`);
          chunks.push(chunk);
        });
        response.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            reject(new FetchError(`${url.href}: body is not valid JSON`));
          }
        });
        response.on('error', (error) => reject(new FetchError(`${url.href}: ${error.message}`)));
      },
    );
    request.on('error', (error) => {
      const message = error.name === 'AbortError' || error.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : error.message;
      reject(new FetchError(`${url.href}: ${message}`));
    });
  });
}
