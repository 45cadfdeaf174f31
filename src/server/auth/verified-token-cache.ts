import type { WorkloadIdentity } from './identity.js';
import type { VerificationKey } from './keys/key-set.js';

interface Entry {
  readonly identity: WorkloadIdentity;
  readonly key: VerificationKey;
  /** ms since the epoch after which the entry is not used. */
  readonly validUntil: number;
}

/**
 * Identities of tokens already verified, keyed by the token's SHA-256 (never the token), least recently
 * used first out. Only successful verifications are stored, so invalid tokens cannot fill it.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The identity for a token hash, if still within its validity and its key is still trusted. */
  get(hash: string, now: number, isTrusted: (key: VerificationKey) => boolean): WorkloadIdentity | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined) return undefined;
    if (now >= entry.validUntil || !isTrusted(entry.key)) {
      this.entries.delete(hash);
      return undefined;
    }
    // Map order is insertion order: re-inserting makes this the most recently used entry.
    this.entries.delete(hash);
    this.entries.set(hash, entry);
    return entry.identity;
  }

  set(hash: string, entry: Entry): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(hash);
    this.entries.set(hash, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
