import { type CallCredentials, credentials, Metadata, status } from '@grpc/grpc-js';
import { createJsonLogger, type Logger } from '../common/logger.js';
import { ProjectedTokenFile, TokenFileError, unverifiedExpiry } from './token-file.js';

/** Anything that yields the current bearer token: a token file, a metadata server, a test double. */
export interface TokenSource {
  token(): Promise<string>;
  /** The token without waiting, for sources that never need to (a file); throws like `token` rejects. */
  tokenNow?(): string;
}

export interface TokenCallCredentialsOptions {
  /** Warn when the token expires within this many seconds (kubelet has stopped rotating). Default 300. */
  expiryWarningSeconds?: number;
  /** At most one expiry warning per this many ms. Default 60000. */
  warningIntervalMs?: number;
  logger?: Logger;
}

/** A TokenSource reading a projected token file per call. */
export function tokenFileSource(path: string): TokenSource & { readonly file: ProjectedTokenFile } {
  const file = new ProjectedTokenFile(path);
  return { file, token: () => file.read(), tokenNow: () => file.readNow() };
}

/**
 * Call credentials that put `authorization: Bearer <token>` on every call, asking the source each time.
 * An unreadable or empty token file fails the call with UNAVAILABLE (retry later), a file that is not a
 * JWT with UNAUTHENTICATED; the next call after the file is fixed succeeds. Never logs the token.
 */
export function tokenCallCredentials(source: TokenSource, options: TokenCallCredentialsOptions = {}): CallCredentials {
  const warnWithin = options.expiryWarningSeconds ?? 300;
  const warningIntervalMs = options.warningIntervalMs ?? 60_000;
  const logger = options.logger ?? createJsonLogger({ name: 'client' });
  let lastWarning = 0;
  // Derived once per token: sources hand back the same string until the token rotates.
  let lastToken = '';
  let lastExp: number | undefined;
  let lastHeader = '';

  const metadataFor = (token: string): Metadata => {
    if (token !== lastToken) {
      lastToken = token;
      lastExp = unverifiedExpiry(token);
      lastHeader = `Bearer ${token}`;
    }
    const exp = lastExp;
    const now = Date.now();
    if (exp !== undefined && exp * 1000 - now < warnWithin * 1000 && now - lastWarning >= warningIntervalMs) {
      lastWarning = now;
      logger.warn(exp * 1000 <= now ? 'token expired: is kubelet still rotating it?' : 'token expires soon: is kubelet still rotating it?', {
        expires_at: new Date(exp * 1000).toISOString(),
      });
    }
    const metadata = new Metadata();
    metadata.set('authorization', lastHeader);
    return metadata;
  };

  return credentials.createFromMetadataGenerator((_params, callback) => {
    if (source.tokenNow !== undefined) {
      // A source that never waits answers in the same turn: no promise per call.
      let metadata: Metadata;
      try {
        metadata = metadataFor(source.tokenNow());
      } catch (error) {
        callback(toStatusError(error));
        return;
      }
      callback(null, metadata);
      return;
    }
    source.token().then(
      (token) => callback(null, metadataFor(token)),
      (error: unknown) => callback(toStatusError(error)),
    );
  });
}

/** Shorthand: call credentials from a projected token file path. */
export function tokenFileCallCredentials(path: string, options?: TokenCallCredentialsOptions): CallCredentials {
  return tokenCallCredentials(tokenFileSource(path), options);
}

function toStatusError(error: unknown): Error & { code: status } {
  const code = error instanceof TokenFileError && error.problem === 'not_a_jwt' ? status.UNAUTHENTICATED : status.UNAVAILABLE;
  return Object.assign(new Error((error as Error).message), { code });
}
