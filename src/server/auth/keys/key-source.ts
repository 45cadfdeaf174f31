import type { JwsAlgorithm } from '../algorithms.js';
import type { VerificationKey } from './key-set.js';

/** What a key source can say about itself, for readiness probes, metrics and tests. */
export interface KeySourceStatus {
  /** Usable keys are held (possibly old ones while the issuer is unreachable). */
  readonly hasKeys: boolean;
  /** Key ids currently trusted. */
  readonly kids: readonly string[];
  /** When the keys held were loaded. */
  readonly loadedAt: Date | undefined;
  /** The last load failure, cleared by the next success. */
  readonly lastError: string | undefined;
}

/** Where an issuer's public keys come from: a JWKS file, a JWKS URL, or OIDC discovery. */
export interface KeySource {
  /**
   * The key for a token's `kid` and `alg`, or undefined when no such key exists even after the refresh
   * this lookup may trigger. Rejects with KeysUnavailableError when no keys can be had at all.
   */
  getKey(kid: string | undefined, alg: JwsAlgorithm): Promise<VerificationKey | undefined>;
  /**
   * The same key when it is held right now, without waiting for anything (a due background refresh may
   * start); undefined means "ask getKey". Lets a first verification finish without a turn of the loop.
   */
  heldKey?(kid: string | undefined, alg: JwsAlgorithm): VerificationKey | undefined;
  /** The key is still trusted (held now, not removed by the issuer); checked on every cached verification. */
  isTrusted(key: VerificationKey): boolean;
  /** Loads keys now. Resolves once keys are held; rejects with the reason otherwise. */
  load(): Promise<void>;
  status(): KeySourceStatus;
  /** Stops background work (timers). */
  close(): void;
}
