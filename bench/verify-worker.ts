/**
 * In-process measurements, each in a fresh process: BENCH_MODE=cold compares the verifier on distinct
 * tokens with bare `crypto.verify` on the same key; BENCH_MODE=admission times what the interceptor does
 * for a call whose token is cached; BENCH_MODE=token-read times the client's per-call read of an unchanged
 * token file; BENCH_MODE=cache-memory fills verified-token caches with distinct
 * tokens and reports the memory they hold.
 */
import { Metadata } from '@grpc/grpc-js';
import { createPublicKey, verify } from 'node:crypto';
import { ProjectedTokenFile } from '../src/client/token-file.js';
import { bindIdentity } from '../src/server/auth/call-identity.js';
import { createVerifier, extractBearer, staticJwks } from '../src/server/auth/index.js';
import { AUDIENCE, createFixture, ISSUER } from './support/fixture.js';
import { ownStats } from './support/protocol.js';

const mode = process.env.BENCH_MODE;
const count = Number(process.env.BENCH_COUNT ?? 1000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const progress = (line: string): void => void process.stdout.write(`      ${line}\n`);

export interface ColdResult {
  readonly tokens: number;
  readonly rawPerSecond: number[];
  readonly verifierPerSecond: number[];
}

export interface AdmissionResult {
  readonly calls: number;
  /** µs per admission, one figure per round. */
  readonly microsPerCall: number[];
}

export interface CacheMemoryResult {
  readonly tokens: number;
  readonly runs: { cacheSize: number; entries: number; heapBytes: number; rssBytes: number }[];
}

async function cold(): Promise<ColdResult> {
  const fixture = createFixture('RS256');
  progress(`minting ${count} distinct RS256 tokens`);
  const tokens = Array.from({ length: count }, (_, i) => fixture.mint(`sa-${i}`));
  const publicKey = createPublicKey(fixture.key.privateKey);
  const raw = (): void => {
    for (const token of tokens) {
      const dot = token.lastIndexOf('.');
      if (!verify('sha256', Buffer.from(token.slice(0, dot)), publicKey, Buffer.from(token.slice(dot + 1), 'base64url'))) throw new Error('raw verify failed');
    }
  };
  const ours = async (): Promise<void> => {
    // A new verifier per round: an empty cache, so every token pays the full verification.
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticJwks({ keys: [fixture.key.publicJwk] }) });
    for (const token of tokens) await verifier.verify(token);
  };
  const timed = async (run: () => void | Promise<void>): Promise<number> => {
    const started = performance.now();
    await run();
    return (tokens.length * 1000) / (performance.now() - started);
  };
  await timed(raw);
  await timed(ours);
  const result: ColdResult = { tokens: count, rawPerSecond: [], verifierPerSecond: [] };
  for (let round = 1; round <= rounds; round += 1) {
    // Alternate the order so neither side always runs on a warmer machine.
    if (round % 2 === 1) {
      result.rawPerSecond.push(await timed(raw));
      result.verifierPerSecond.push(await timed(ours));
    } else {
      result.verifierPerSecond.push(await timed(ours));
      result.rawPerSecond.push(await timed(raw));
    }
    progress(`round ${round}/${rounds}: raw ${Math.round(result.rawPerSecond.at(-1) ?? 0)}/s, verifier ${Math.round(result.verifierPerSecond.at(-1) ?? 0)}/s`);
  }
  return result;
}

/** The interceptor's work for a call with a cached token: take the header, look it up, hand over the identity. */
async function admission(): Promise<AdmissionResult> {
  const fixture = createFixture('RS256');
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticJwks({ keys: [fixture.key.publicJwk] }) });
  await verifier.verify(fixture.token);
  const header = `Bearer ${fixture.token}`;
  const result: AdmissionResult = { calls: count, microsPerCall: [] };
  for (let round = 0; round <= rounds; round += 1) {
    const calls = Array.from({ length: count }, () => {
      const metadata = new Metadata();
      metadata.set('authorization', header);
      return metadata;
    });
    const started = performance.now();
    for (const metadata of calls) {
      const identity = verifier.cached(extractBearer(metadata));
      if (identity === undefined) throw new Error('token not cached');
      metadata.remove('authorization');
      bindIdentity(metadata, identity);
    }
    // Round 0 warms up.
    if (round > 0) result.microsPerCall.push(((performance.now() - started) * 1000) / count);
  }
  return result;
}

/**
 * The client's per-call work on an unchanged token file when every read pays its stat: one read per turn
 * of the event loop (reads within one turn share a stat), timed around the read alone.
 */
async function tokenRead(): Promise<AdmissionResult> {
  const fixture = createFixture('ES256');
  const file = new ProjectedTokenFile(fixture.tokenFile);
  const reads = Math.min(count, 50_000);
  const result: AdmissionResult = { calls: reads, microsPerCall: [] };
  for (let round = 0; round <= rounds; round += 1) {
    let spent = 0n;
    for (let i = 0; i < reads; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      const started = process.hrtime.bigint();
      file.readNow();
      spent += process.hrtime.bigint() - started;
    }
    if (round > 0) result.microsPerCall.push(Number(spent) / 1000 / reads);
  }
  return result;
}

async function cacheMemory(): Promise<CacheMemoryResult> {
  // ES256 signs fast, so many distinct tokens are cheap to make; cache entries do not depend on the algorithm.
  const fixture = createFixture('ES256');
  const sizes = (process.env.BENCH_CACHE_SIZES ?? '10000').split(',').map(Number);
  const result: CacheMemoryResult = { tokens: count, runs: [] };
  for (const cacheSize of sizes) {
    const before = ownStats(true);
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: staticJwks({ keys: [fixture.key.publicJwk] }), cacheSize });
    for (let done = 0; done < count; ) {
      const batch = Array.from({ length: Math.min(1000, count - done) }, (_, i) => fixture.mint(`sa-${done + i}`));
      await Promise.all(batch.map((token) => verifier.verify(token)));
      done += batch.length;
      if (done % 20_000 === 0 || done === count) progress(`cache size ${cacheSize}: ${done}/${count} distinct tokens verified`);
    }
    const after = ownStats(true);
    result.runs.push({ cacheSize, entries: verifier.stats().cacheEntries, heapBytes: after.heapUsedBytes - before.heapUsedBytes, rssBytes: after.rssBytes - before.rssBytes });
    // Keep the verifier alive until measured.
    if (verifier.stats().cacheEntries < 0) throw new Error('unreachable');
  }
  return result;
}

const modes: Record<string, () => Promise<unknown>> = { cold, admission, 'token-read': tokenRead, 'cache-memory': cacheMemory };
const work = modes[mode ?? ''] ?? (() => Promise.reject(new Error(`BENCH_MODE ${mode} is not one of ${Object.keys(modes).join(', ')}`)));
work().then(
  (result) => process.send?.({ type: 'done', result }),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
