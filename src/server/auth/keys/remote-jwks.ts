import { silentLogger, type Logger } from '../../../common/logger.js';
import type { JwsAlgorithm } from '../algorithms.js';
import { KeysUnavailableError } from '../errors.js';
import { fetchJson, type FetchJsonOptions } from './fetch-json.js';
import { KeySet, type VerificationKey } from './key-set.js';
import type { KeySource, KeySourceStatus } from './key-source.js';

export interface RemoteJwksOptions {
  /** Request deadline for one fetch. Default 5000 ms. */
  timeoutMs?: number;
  /** Minimum time between fetches triggered by an unknown `kid` or by age. Default 30000 ms. */
  cooldownMs?: number;
  /** Keys older than this are refreshed in the background on the next lookup. Default 600000 ms (10 min). */
  maxAgeMs?: number;
  /** Keys older than this are no longer used when refreshes keep failing. Default 86400000 ms (24 h). */
  maxStaleMs?: number;
  /** Largest JWKS body accepted. Default 262144 bytes. */
  maxBytes?: number;
  /** First retry delay after a failed fetch, doubled per failure up to `cooldownMs`. Default 500 ms. */
  retryDelayMs?: number;
  /** CA bundle and headers for the fetch (in-cluster issuers). */
  ca?: FetchJsonOptions['ca'];
  headers?: (url: URL) => Record<string, string> | undefined;
  logger?: Logger;
  /** Clock in ms; for tests. */
  now?: () => number;
}

/** Resolves the JWKS URL: fixed, or by OIDC discovery (which may itself need a fetch). */
export type JwksUriResolver = () => Promise<URL>;

export interface RemoteJwks extends KeySource {
  /** Fetches now, sharing a fetch already under way. Keeps the old keys when it fails. */
  reload(): Promise<void>;
  /** A fetch is under way. */
  readonly reloading: boolean;
  /** An unknown kid would not cause a fetch right now. */
  readonly coolingDown: boolean;
}

/**
 * Keys fetched from a JWKS URL and cached. One fetch at a time serves every waiting caller; an unknown
 * `kid` triggers a refetch at most once per cooldown; failed fetches back off; the last good keys are
 * kept while the issuer is unreachable, for at most `maxStaleMs`.
 */
export function remoteJwks(jwksUri: URL | JwksUriResolver, options: RemoteJwksOptions = {}): RemoteJwks {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const maxAgeMs = options.maxAgeMs ?? 600_000;
  const maxStaleMs = options.maxStaleMs ?? 86_400_000;
  const maxBytes = options.maxBytes ?? 262_144;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const resolveUri: JwksUriResolver = jwksUri instanceof URL ? () => Promise.resolve(jwksUri) : jwksUri;

  let keys: KeySet | undefined;
  let loadedAt = 0;
  let nextFetchAt = 0;
  let failures = 0;
  let lastError: string | undefined;
  let pending: Promise<void> | undefined;

  const fetchOnce = async (): Promise<void> => {
    try {
      const uri = await resolveUri();
      const body = await fetchJson(uri, { timeoutMs, maxBytes, ca: options.ca, headers: options.headers?.(uri) });
      const fresh = KeySet.fromJwks(body);
      const changed = keys === undefined || keys.kids.join() !== fresh.kids.join();
      keys = fresh;
      loadedAt = now();
      nextFetchAt = loadedAt + cooldownMs;
      failures = 0;
      lastError = undefined;
      if (changed) logger.info('JWKS loaded', { jwks_uri: uri.href, kids: fresh.kids, skipped: fresh.skipped });
    } catch (error) {
      failures += 1;
      lastError = (error as Error).message;
      nextFetchAt = now() + Math.min(cooldownMs, retryDelayMs * 2 ** (failures - 1));
      logger.warn('JWKS fetch failed', { error: lastError, failures, keeping_keys: keys?.kids ?? [], key_age_s: keys ? Math.round((now() - loadedAt) / 1000) : null });
      throw error;
    }
  };

  const reload = (): Promise<void> => {
    pending ??= fetchOnce().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  const mayFetch = (): boolean => pending !== undefined || now() >= nextFetchAt;

  const usableKeys = (): KeySet | undefined => (keys !== undefined && now() - loadedAt <= maxStaleMs ? keys : undefined);

  return {
    async getKey(kid: string | undefined, alg: JwsAlgorithm): Promise<VerificationKey | undefined> {
      if (usableKeys() === undefined && mayFetch()) await reload().catch(() => {});
      const current = usableKeys();
      if (current === undefined) throw new KeysUnavailableError(`no usable keys from the issuer: ${lastError ?? 'still loading'}`);
      if (now() - loadedAt > maxAgeMs && mayFetch()) void reload().catch(() => {});
      const key = current.find(kid, alg);
      if (key !== undefined || !mayFetch()) return key;
      await reload().catch(() => {});
      return usableKeys()?.find(kid, alg);
    },
    heldKey(kid: string | undefined, alg: JwsAlgorithm): VerificationKey | undefined {
      const current = usableKeys();
      if (current === undefined) return undefined;
      if (now() - loadedAt > maxAgeMs && mayFetch()) void reload().catch(() => {});
      return current.find(kid, alg);
    },
    isTrusted: (key: VerificationKey) => usableKeys()?.has(key) ?? false,
    load: reload,
    reload,
    get reloading() {
      return pending !== undefined;
    },
    get coolingDown() {
      return !mayFetch();
    },
    status(): KeySourceStatus {
      const current = usableKeys();
      return { hasKeys: current !== undefined, kids: current?.kids ?? [], loadedAt: current ? new Date(loadedAt) : undefined, lastError };
    },
    close() {},
  };
}
