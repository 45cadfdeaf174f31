import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateSigningKey, type SigningKey } from './signing-key.js';
import { mintServiceAccountToken, type TokenRequest } from './service-account-token.js';

export type IssuerMode = 'ok' | 'unavailable' | 'slow' | 'garbage' | 'html' | 'oversized';

function misbehave(mode: Exclude<IssuerMode, 'ok'>, res: ServerResponse): void {
  switch (mode) {
    case 'unavailable':
      res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable\n');
      return;
    case 'slow':
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}'), 30_000).unref();
      return;
    case 'garbage':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [ {"kty": "RSA", "n": 12');
      return;
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login required</html>');
      return;
    case 'oversized':
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [], pad: 'x'.repeat(1_000_000) }));
      return;
  }
}

export interface LocalIssuerOptions {
  /** Default 127.0.0.1: this stand-in never listens beyond loopback. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default: a fresh RSA 2048 key. */
  key?: SigningKey;
  /** Serve https with this certificate, as kube-apiserver does. Default: plain http. */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** Answer 401 unless requests carry `authorization: Bearer <this>`, as kube-apiserver does by default. */
  requireBearer?: string;
}

/**
 * A stand-in for kube-apiserver's service-account issuer: OIDC discovery and JWKS over HTTP on loopback,
 * and tokens with the header and claims of real projected tokens. For demos and tests, never production.
 */
export class LocalIssuer {
  /** Keys published in the JWKS; the first one signs. */
  private keys: SigningKey[];
  /** Requests served, by path: lets tests see what the verifier fetched. */
  readonly requests = new Map<string, number>();
  /** Requests refused for a missing or wrong bearer token (with `requireBearer`). */
  unauthorized = 0;
  /** How the issuer answers: normally, or one of the ways real issuers fail (for fault tests). */
  mode: IssuerMode = 'ok';

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    key: SigningKey,
  ) {
    this.keys = [key];
  }

  static async start(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
    const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }) : createHttpServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
    });
    const { address, port } = server.address() as AddressInfo;
    const issuer = new LocalIssuer(server, `${options.tls ? 'https' : 'http'}://${address}:${port}`, options.key ?? generateSigningKey());
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      issuer.requests.set(path, (issuer.requests.get(path) ?? 0) + 1);
      if (options.requireBearer !== undefined && req.headers.authorization !== `Bearer ${options.requireBearer}`) {
        issuer.unauthorized += 1;
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"kind":"Status","code":401,"reason":"Unauthorized"}');
        return;
      }
      const send = (type: string, body: unknown): void => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'public, max-age=3600' }).end(JSON.stringify(body));
      };
      if (issuer.mode !== 'ok') return misbehave(issuer.mode, res);
      if (req.method === 'GET' && path === '/.well-known/openid-configuration') return send('application/json', issuer.discoveryDocument());
      if (req.method === 'GET' && path === '/openid/v1/jwks') return send('application/jwk-set+json', issuer.jwks());
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
    return issuer;
  }

  get jwksUri(): string {
    return `${this.issuer}/openid/v1/jwks`;
  }

  get signingKey(): SigningKey {
    return this.keys[0] as SigningKey;
  }

  discoveryDocument(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [...new Set(this.keys.map((k) => k.alg))],
    };
  }

  jwks(): { keys: SigningKey['publicJwk'][] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  /** A projected token signed by the current key, for this issuer. */
  mint(request: Omit<TokenRequest, 'issuer'>): string {
    return mintServiceAccountToken(this.signingKey, { issuer: this.issuer, ...request });
  }

  /** Starts signing with a new key; the old one stays published unless `retireOld`. */
  rotateKey(next: SigningKey = generateSigningKey(), retireOld = false): SigningKey {
    this.keys = retireOld ? [next] : [next, ...this.keys];
    return next;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
