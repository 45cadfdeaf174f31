/**
 * In-process measurements, each in a fresh process: BENCH_MODE=cold compares the verifier on distinct
 * tokens with bare `crypto.verify` on the same key; BENCH_MODE=admission times what the interceptor does
 * for a call whose token is cached; BENCH_MODE=token-read times the client's per-call read of an unchanged
 * token file; BENCH_MODE=cache-memory fills verified-token caches with distinct
 * tokens and reports the memory they hold.
 */
import { Metadata } from '@grpc/grpc-js';
import { createPublicKey, hash as digestOf, type JsonWebKey, verify } from 'node:crypto';
import { ProjectedTokenFile } from '../src/client/token-file.js';
import { bindIdentity } from '../src/server/auth/call-identity.js';
import { createVerifier, extractBearer, staticJwks } from '../src/server/auth/index.js';
import { AUDIENCE, createFixture, ISSUER } from './support/fixture.js';
import { PINNING } from './support/pinning.js';
import { startWorkerProcess } from './support/processes.js';
import { ownStats } from './support/protocol.js';

const mode = process.env.BENCH_MODE;
const count = Number(process.env.BENCH_COUNT ?? 1000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
/** Tokens per block in the cold comparison: a few milliseconds of work. */
const BLOCK = 100;
const progress = (line: string): void => void process.stdout.write(`      ${line}\n`);

export interface ColdResult {
  readonly tokens: number;
  readonly block: number;
  readonly rawPerSecond: number[];
  /** SHA-256 + crypto.verify + JSON.parse + a Map entry: what any cached verifier pays. */
  readonly minimumPerSecond: number[];
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

/** The three ways through the cold tokens, each measured in its own process. */
const COLD_WAYS = ['raw', 'minimum', 'verifier'] as const;
type ColdWay = (typeof COLD_WAYS)[number];

type ColdRequest = { type: 'cold-setup'; publicJwk: JsonWebKey; tokens: string[] } | { type: 'cold-block'; start: number; size: number; fresh: boolean };
type ColdReply = { type: 'cold-ready' } | { type: 'cold-block-done'; ms: number };

/**
 * Three ways through the same distinct tokens: bare `crypto.verify`; the least any cached verifier must add
 * (SHA-256 of the token for the cache key, decode and JSON.parse of the claims, a Map entry); and our
 * verifier, awaited token by token with an empty cache each round. Each way runs in its own process, all
 * bound to one CPU, so each pays for its own garbage (in one heap, a collection started by one way would
 * also sweep up after the others); they take turns in blocks of BLOCK tokens whose order rotates, so the
 * machine's drift (seconds) and its caches (microseconds) hit all three alike.
 */
async function cold(): Promise<ColdResult> {
  const fixture = createFixture('RS256');
  progress(`minting ${count} distinct RS256 tokens`);
  const tokens = Array.from({ length: count }, (_, i) => fixture.mint(`sa-${i}`));
  const ways = COLD_WAYS.map((way) => ({ way, process: startWorkerProcess({ mode: 'cold-way', way }, PINNING?.server), ms: 0 }));
  try {
    await Promise.all(ways.map((w) => w.process.request<ColdReply>({ type: 'cold-setup', publicJwk: fixture.key.publicJwk, tokens }, 'cold-ready', 60_000)));
    const result: ColdResult = { tokens: count, block: BLOCK, rawPerSecond: [], minimumPerSecond: [], verifierPerSecond: [] };
    // Round 0 warms up.
    for (let round = 0; round <= rounds; round += 1) {
      for (const w of ways) w.ms = 0;
      for (let start = 0, turn = 0; start < tokens.length; start += BLOCK, turn += 1) {
        for (let i = 0; i < ways.length; i += 1) {
          const w = ways[(i + turn) % ways.length] as (typeof ways)[number];
          const reply = await w.process.request<Extract<ColdReply, { type: 'cold-block-done' }>>({ type: 'cold-block', start, size: BLOCK, fresh: start === 0 }, 'cold-block-done', 60_000);
          w.ms += reply.ms;
        }
      }
      if (round === 0) continue;
      const [rawWay, minimumWay, ours] = ways.map((w) => (tokens.length * 1000) / w.ms) as [number, number, number];
      result.rawPerSecond.push(rawWay);
      result.minimumPerSecond.push(minimumWay);
      result.verifierPerSecond.push(ours);
      progress(`round ${round}/${rounds}: bare verify ${Math.round(rawWay)}/s, least a cached verifier adds ${Math.round(minimumWay)}/s, verifier ${Math.round(ours)}/s`);
    }
    return result;
  } finally {
    await Promise.all(ways.map((w) => w.process.stop()));
  }
}

/** One way of `cold`: set up once, then times the blocks it is asked for; `fresh` starts a new round. */
function coldWay(): Promise<never> {
  const way = process.env.BENCH_WAY as ColdWay;
  if (!COLD_WAYS.includes(way)) return Promise.reject(new Error(`BENCH_WAY ${way} is not one of ${COLD_WAYS.join(', ')}`));
  let tokens: string[] = [];
  let run: (token: string) => unknown = () => undefined;
  let start: () => (token: string) => unknown = () => run;
  const reply = (message: ColdReply): void => void process.send?.(message);
  process.on('message', (message: ColdRequest) => {
    if (message.type === 'cold-setup') {
      tokens = message.tokens;
      start = coldWayRunner(way, message.publicJwk);
      reply({ type: 'cold-ready' });
      return;
    }
    if (message.fresh) run = start();
    const block = tokens.slice(message.start, message.start + message.size);
    void (async () => {
      const started = performance.now();
      for (const token of block) await run(token);
      reply({ type: 'cold-block-done', ms: performance.now() - started });
    })();
  });
  // Serves until stopped.
  return new Promise<never>(() => undefined);
}

/** A fresh runner of one way for each round (the two caching ways start each round empty). */
function coldWayRunner(way: ColdWay, publicJwk: JsonWebKey): () => (token: string) => unknown {
  const publicKey = createPublicKey({ key: publicJwk, format: 'jwk' });
  switch (way) {
    case 'raw':
      return () => (token) => {
        const dot = token.lastIndexOf('.');
        if (!verify('sha256', Buffer.from(token.slice(0, dot)), publicKey, Buffer.from(token.slice(dot + 1), 'base64url'))) throw new Error('raw verify failed');
      };
    case 'minimum':
      return () => {
        const seen = new Map<string, unknown>();
        return (token) => {
          const hash = digestOf('sha256', token, 'base64');
          if (seen.has(hash)) return;
          const first = token.indexOf('.');
          const second = token.indexOf('.', first + 1);
          if (!verify('sha256', Buffer.from(token.slice(0, second)), publicKey, Buffer.from(token.slice(second + 1), 'base64url'))) throw new Error('raw verify failed');
          seen.set(hash, JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')));
        };
      };
    case 'verifier': {
      const keys = staticJwks({ keys: [publicJwk] });
      return () => {
        const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys });
        return (token) => verifier.verify(token);
      };
    }
  }
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
      const identity = verifier.lookupOrVerify(extractBearer(metadata));
      if (identity instanceof Promise) throw new Error('token not cached');
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

const modes: Record<string, () => Promise<unknown>> = { cold, 'cold-way': coldWay, admission, 'token-read': tokenRead, 'cache-memory': cacheMemory };
const work = modes[mode ?? ''] ?? (() => Promise.reject(new Error(`BENCH_MODE ${mode} is not one of ${Object.keys(modes).join(', ')}`)));
work().then(
  (result) => process.send?.({ type: 'done', result }),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
