import type { WorkloadIdentity } from './identity.js';
import type { VerificationKey } from './keys/key-set.js';

interface Entry {
  readonly identity: WorkloadIdentity;
  readonly key: VerificationKey;
  /** ms since the epoch after which the entry is not used. */
  readonly validUntil: number;
}

interface Slot extends Entry {
  /** Hit since the eviction scan last passed it (second-chance, or CLOCK, replacement). */
  used: boolean;
}

/**
 * Identities of tokens already verified, keyed by the token's SHA-256 (never the token), bounded in
 * entries. Only successful verifications are stored, so invalid tokens cannot fill it. Eviction gives a
 * second chance: a hit only marks its entry, and when the cache is full the oldest entries that were hit
 * since are moved to the back instead of dropped, so the hit path, taken on every call, writes one flag
 * rather than re-ordering the map.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Slot>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The identity for a token hash, if still within its validity and its key is still trusted. */
  get(hash: string, now: number, isTrusted: (key: VerificationKey) => boolean): WorkloadIdentity | undefined {
    const slot = this.entries.get(hash);
    if (slot === undefined) return undefined;
    if (now >= slot.validUntil || !isTrusted(slot.key)) {
      this.entries.delete(hash);
      return undefined;
    }
    slot.used = true;
    return slot.identity;
  }

  set(hash: string, entry: Entry): void {
    if (this.maxEntries <= 0) return;
    // Make room first, so the scan never reaches the entry being added.
    if (!this.entries.delete(hash) && this.entries.size >= this.maxEntries) this.evictOne();
    // Spelled out: a spread would build the slot in dictionary mode, about 200 bytes more per entry.
    this.entries.set(hash, { identity: entry.identity, key: entry.key, validUntil: entry.validUntil, used: false });
  }

  /** Drops the oldest entry not hit since the scan last passed it; the scan clears the marks it skips. */
  private evictOne(): void {
    for (const [hash, slot] of this.entries) {
      this.entries.delete(hash);
      if (!slot.used) return;
      slot.used = false;
      this.entries.set(hash, slot);
    }
  }
}
