import { makeTestPki } from '../test/support/tls.js';
import type { Fixture } from './support/fixture.js';
import { type GhzResult, runGhz } from './support/ghz.js';
import type { LoadGenerator, ServerProcess } from './support/processes.js';
import { runWorker, startServerProcess } from './support/processes.js';
import type { Auth, LoadJob, LoadResult } from './support/protocol.js';
import type { Finding } from './support/report.js';
import { formatNumber, median, pairedRatios, type Spread, spread } from './support/stats.js';
import type { AdmissionResult, CacheMemoryResult, ColdResult } from './verify-worker.js';

export interface Settings {
  readonly rounds: number;
  readonly roundMs: number;
  readonly warmupMs: number;
  readonly concurrency: number;
  readonly coldTokens: number;
  readonly cacheTokens: number;
  readonly cacheSizes: readonly number[];
  readonly heldStreams: number;
  readonly streamMessages: number;
  readonly admissionCalls: number;
}

export const FULL: Settings = { rounds: 11, roundMs: 1_500, warmupMs: 1_000, concurrency: 32, coldTokens: 3_000, cacheTokens: 100_000, cacheSizes: [10_000, 100_000], heldStreams: 1_000, streamMessages: 500, admissionCalls: 200_000 };
export const QUICK: Settings = { rounds: 2, roundMs: 300, warmupMs: 200, concurrency: 8, coldTokens: 200, cacheTokens: 2_000, cacheSizes: [1_000], heldStreams: 100, streamMessages: 100, admissionCalls: 20_000 };

export interface Context {
  readonly settings: Settings;
  readonly fixture: Fixture;
  readonly load: LoadGenerator;
  /** Path of the ghz binary. */
  readonly ghz: string;
  /** The library with its defaults (cache of 10,000). */
  readonly server: ServerProcess;
  /** Same code with the verified-token cache off. */
  readonly uncachedServer: ServerProcess;
  progress(line: string): void;
  /** Public unary calls per second measured by scenario 1, for the fixed-rate latency run. */
  publicPerSecond?: number;
  /** Server CPU µs per public unary call measured by scenario 1. */
  publicServerCpuPerCall?: number;
}

interface Sample {
  readonly perSecond: number;
  readonly serverCpuPerCall: number;
  readonly clientCpuPerCall: number;
  readonly calls: number;
}

/** Runs a job against a server, fails on any failed call, and relates the work done to CPU spent on both sides. */
async function measure(ctx: Context, server: ServerProcess, job: LoadJob, what: string): Promise<Sample & { result: LoadResult }> {
  const before = await server.stats();
  const result = await ctx.load.run(job);
  const after = await server.stats();
  if (result.failed > 0) throw new Error(`${what}: ${result.failed} of ${result.failed + result.completed} calls failed, first: ${result.firstError}`);
  if (result.completed === 0) throw new Error(`${what}: no call completed`);
  return {
    perSecond: (result.completed * 1000) / result.elapsedMs,
    serverCpuPerCall: (after.cpuMicros - before.cpuMicros) / result.completed,
    clientCpuPerCall: result.cpuMicros / result.completed,
    calls: result.completed,
    result,
  };
}

/** Warm-up, then rounds of A and B in alternating order, so drift of a noisy machine hits both alike. */
const showRates = (a: Sample, b: Sample): string => `${formatNumber(a.perSecond)} vs ${formatNumber(b.perSecond)} per second`;

async function paired(
  ctx: Context,
  label: string,
  a: (ms: number) => Promise<Sample>,
  b: (ms: number) => Promise<Sample>,
  show: (a: Sample, b: Sample) => string = showRates,
): Promise<{ a: Sample[]; b: Sample[] }> {
  await a(ctx.settings.warmupMs);
  await b(ctx.settings.warmupMs);
  const out = { a: [] as Sample[], b: [] as Sample[] };
  for (let round = 1; round <= ctx.settings.rounds; round += 1) {
    const first = round % 2 === 1 ? a : b;
    const second = round % 2 === 1 ? b : a;
    const x = await first(ctx.settings.roundMs);
    const y = await second(ctx.settings.roundMs);
    const [sa, sb] = round % 2 === 1 ? [x, y] : [y, x];
    out.a.push(sa);
    out.b.push(sb);
    ctx.progress(`${label} round ${round}/${ctx.settings.rounds}: ${show(sa, sb)}`);
  }
  return out;
}

const perSecond = (samples: Sample[]): number[] => samples.map((s) => s.perSecond);
const cpu = (samples: Sample[], side: 'serverCpuPerCall' | 'clientCpuPerCall'): string => `${formatNumber(median(samples.map((s) => s[side])), 1)} µs`;
const header = (token: string): Auth => ({ kind: 'header', token });

const HELLO = 'wid.demo.v1.HelloService';

interface GhzCall {
  readonly method: 'PublicHello' | 'PrivateHello' | 'StreamHello';
  readonly total: number;
  readonly rps?: number;
  /** Send the fixture's token; default: for PrivateHello. */
  readonly sendToken?: boolean;
  /** Default: the settings' concurrency. */
  readonly concurrency?: number;
  readonly data?: Record<string, unknown>;
}

/** One ghz run against a server, with the server's CPU time per call; fails unless every call succeeded. */
async function ghzSample(ctx: Context, server: ServerProcess, call: GhzCall): Promise<GhzResult & { serverCpuPerCall: number }> {
  const { method, total, rps, data } = call;
  const sendToken = call.sendToken ?? method === 'PrivateHello';
  const before = await server.stats();
  const result = await runGhz({
    ghz: ctx.ghz,
    protoset: ctx.fixture.protoset,
    target: server.target,
    call: `${HELLO}.${method}`,
    token: sendToken ? ctx.fixture.token : undefined,
    concurrency: call.concurrency ?? ctx.settings.concurrency,
    total,
    ...(rps === undefined ? {} : { rps }),
    ...(data === undefined ? {} : { data }),
  });
  const after = await server.stats();
  if (result.ok !== result.count) throw new Error(`${method} on ${server.name} server: ${result.count - result.ok} of ${result.count} calls failed, first: ${result.firstError}`);
  return { ...result, serverCpuPerCall: (after.cpuMicros - before.cpuMicros) / result.count };
}

/**
 * Server capacity for private calls against public ones. ghz first runs flat out, which on a small machine
 * measures ghz as much as the server (it needs a core of its own); then both kinds of call run at one fixed
 * rate, 80 % of what ghz reached, in paired rounds, and the server's CPU per call at that rate compares what
 * each kind costs it: the ratio of its CPU per call is the ratio of the calls/s it can serve.
 */
export async function unaryPrivateVsPublic(ctx: Context): Promise<Finding> {
  const { server, settings } = ctx;
  await ghzSample(ctx, server, { method: 'PublicHello', total: 2_000 });
  await ghzSample(ctx, server, { method: 'PrivateHello', total: 2_000 });
  const flatOutCalls = Math.max(500, Math.round((settings.roundMs * 10_000) / 1000));
  const flatOut = { public: await ghzSample(ctx, server, { method: 'PublicHello', total: flatOutCalls }), private: await ghzSample(ctx, server, { method: 'PrivateHello', total: flatOutCalls }) };
  const rate = Math.max(100, Math.round((0.8 * Math.min(flatOut.public.perSecond, flatOut.private.perSecond)) / 100) * 100);
  const total = Math.max(200, Math.round((rate * settings.roundMs) / 1000));
  ctx.progress(`flat out: public ${formatNumber(flatOut.public.perSecond)}/s, private ${formatNumber(flatOut.private.perSecond)}/s; rounds at ${formatNumber(rate)}/s`);
  const sample = async (method: 'PublicHello' | 'PrivateHello', sendToken = method === 'PrivateHello'): Promise<Sample> => {
    const r = await ghzSample(ctx, server, { method, total, rps: rate, sendToken });
    return { perSecond: r.perSecond, serverCpuPerCall: r.serverCpuPerCall, clientCpuPerCall: Number.NaN, calls: r.count };
  };
  const showCpu = (a: Sample, b: Sample): string => `server CPU per call ${formatNumber(a.serverCpuPerCall, 1)} vs ${formatNumber(b.serverCpuPerCall, 1)} µs`;
  const { a: priv, b: pub } = await paired(ctx, 'private vs public', () => sample('PrivateHello'), () => sample('PublicHello'), showCpu);
  // Public calls that carry the same token header: what moving 1 KB of token costs HTTP/2 and grpc-js, apart from verifying it.
  const { a: priv2, b: pubWithToken } = await paired(ctx, 'private vs public carrying the token', () => sample('PrivateHello'), () => sample('PublicHello', true), showCpu);
  const capacity = (a: Sample[], b: Sample[]): Spread => pairedRatios(b.map((x) => x.serverCpuPerCall), a.map((x) => x.serverCpuPerCall));
  const library = capacity(priv2, pubWithToken);
  const transport = pairedRatios(pub.map((x) => x.serverCpuPerCall), pubWithToken.map((x) => x.serverCpuPerCall));
  ctx.publicPerSecond = flatOut.public.perSecond;
  ctx.publicServerCpuPerCall = median(pub.map((p) => p.serverCpuPerCall));
  return {
    id: '1',
    title: `Unary server capacity, private (token verified, cache warm) vs public: server CPU per call with both at one fixed rate, 80 % of what ghz reaches flat out (${settings.concurrency} concurrent calls, one connection)`,
    result:
      `at ${formatNumber(rate)}/s: server CPU per call private ${cpu(priv, 'serverCpuPerCall')}, public ${cpu(pub, 'serverCpuPerCall')}. ` +
      `Against public calls carrying the same token header, which leaves only the library's work: ratio ${formatNumber(library.median, 3)} (${formatNumber(library.min, 3)}–${formatNumber(library.max, 3)}), ${cpu(priv2, 'serverCpuPerCall')} vs ${cpu(pubWithToken, 'serverCpuPerCall')}; ` +
      `carrying the 1 KB header alone costs public calls a ratio of ${formatNumber(transport.median, 3)}. ` +
      `Flat out, ghz reached public ${formatNumber(flatOut.public.perSecond)}/s, private ${formatNumber(flatOut.private.perSecond)}/s`,
    ratio: capacity(priv, pub),
    goal: 0.97,
    data: { concurrency: settings.concurrency, rate, callsPerRound: total, flatOut, private: priv, public: pub, privateAgain: priv2, publicWithToken: pubWithToken, privateVsPublicWithToken: library, tokenHeaderOnPublic: transport },
  };
}

/**
 * The library's own work per cached call, timed two ways: `verifier.lookupOrVerify()` (SHA-256 of the token and
 * the lookup) inside a server under ghz load, where it runs with caches cooled by everything else a call
 * does; and the whole admission in a tight in-process loop, its lower bound.
 */
export async function admissionCost(ctx: Context): Promise<Finding> {
  const { settings } = ctx;
  const timed = await startServerProcess(ctx.fixture, { name: 'timed admission', timeAdmission: true });
  let inServer: { calls: number; micros: number };
  try {
    await ghzSample(ctx, timed, { method: 'PrivateHello', total: 2_000 });
    const before = (await timed.stats()).admission ?? { calls: 0, micros: 0 };
    await ghzSample(ctx, timed, { method: 'PrivateHello', total: settings.admissionCalls / 4 });
    const after = (await timed.stats()).admission ?? { calls: 0, micros: 0 };
    inServer = { calls: after.calls - before.calls, micros: after.micros - before.micros };
  } finally {
    await timed.stop();
  }
  if (inServer.calls === 0) throw new Error('timed admission: the server timed no call');
  const perCallInServer = inServer.micros / inServer.calls;
  const result = await runWorker<AdmissionResult>({ mode: 'admission', count: String(settings.admissionCalls), rounds: String(settings.rounds) }, 120_000);
  const micros = spread(result.microsPerCall);
  const publicCall = ctx.publicServerCpuPerCall;
  const share =
    publicCall === undefined
      ? ''
      : `; that is ${formatNumber((100 * perCallInServer) / publicCall, 1)} % of the server CPU of a public call (${formatNumber(publicCall, 1)} µs in #1), so a server-bound private/public ratio of at most ${formatNumber(publicCall / (publicCall + perCallInServer), 3)}`;
  return {
    id: '1b',
    title: 'Admission of a call whose token is cached: `verifier.lookupOrVerify()` (SHA-256 of the token, lookup) timed inside a server under ghz load; the whole admission (bearer parse, lookup, identity hand-over) in a tight in-process loop',
    result: `in the server: ${formatNumber(perCallInServer, 2)} µs per call over ${formatNumber(inServer.calls)} calls${share}. In a tight loop: ${formatNumber(micros.median, 2)} µs per call (${formatNumber(micros.min, 2)}–${formatNumber(micros.max, 2)})`,
    data: { inServer: { ...inServer, microsPerCall: perCallInServer }, tightLoop: { ...result } },
  };
}

export async function coldVerification(ctx: Context): Promise<Finding> {
  const { settings } = ctx;
  const result = await runWorker<ColdResult>({ mode: 'cold', count: String(settings.coldTokens), rounds: String(settings.rounds) }, 600_000);
  const minimum = pairedRatios(result.minimumPerSecond, result.rawPerSecond);
  const ofMinimum = pairedRatios(result.verifierPerSecond, result.minimumPerSecond);
  return {
    id: '2',
    title: `Cold verification (${formatNumber(result.tokens)} distinct RS256 tokens, empty cache, awaited one by one) vs bare \`crypto.verify\`, same key`,
    result:
      `verifier ${formatNumber(median(result.verifierPerSecond))}/s, bare verify ${formatNumber(median(result.rawPerSecond))}/s, run in rotating blocks of ${result.block} tokens. ` +
      `The least any cached verifier adds to the bare verify (SHA-256 of the token for the cache key, base64 and JSON.parse of the claims, a Map entry) already gives ${formatNumber(minimum.median, 3)} (${formatNumber(minimum.min, 3)}–${formatNumber(minimum.max, 3)}); ` +
      `the verifier reaches ${formatNumber(ofMinimum.median, 3)} of that`,
    ratio: pairedRatios(result.verifierPerSecond, result.rawPerSecond),
    goal: 0.8,
    data: { ...result },
  };
}

export async function tokenFileVsHeader(ctx: Context): Promise<Finding[]> {
  const { fixture } = ctx;
  // Over TLS with the credentials in the channel, as a client runs in production.
  const pki = await makeTestPki(fixture.dir);
  const server = await startServerProcess(fixture, { name: 'tls', tls: { certFile: pki.certFile, keyFile: pki.keyFile } });
  try {
    return await tokenFileVsHeaderOn(ctx, server, pki.caFile);
  } finally {
    await server.stop();
  }
}

/**
 * The client's cost, like #1 on the other side: each kind of client runs flat out once, then all at one
 * fixed rate (80 % of the slowest flat-out rate) in paired rounds, and the client's CPU per call compares
 * them. At a fixed rate fewer calls share a turn of the event loop, so the token file pays more of its
 * stats than flat out: the figure errs on the file's side.
 */
async function tokenFileVsHeaderOn(ctx: Context, server: ServerProcess, caFile: string): Promise<Finding[]> {
  const { fixture, settings } = ctx;
  const job = (auth: Auth, durationMs: number, ratePerSecond?: number): LoadJob => ({ kind: 'unary', target: server.target, caFile, method: 'privateHello', auth, concurrency: settings.concurrency, durationMs, ...(ratePerSecond === undefined ? {} : { ratePerSecond }) });
  const kinds = { tokenFile: { kind: 'token-file', path: fixture.tokenFile }, fixedHeader: header(fixture.token), inMemory: { kind: 'fixed-credentials', token: fixture.token } } as const satisfies Record<string, Auth>;
  for (const [name, auth] of Object.entries(kinds)) await measure(ctx, server, job(auth, settings.warmupMs), `warm-up ${name}`);
  const flatOut: Record<keyof typeof kinds, Sample> = {
    tokenFile: await measure(ctx, server, job(kinds.tokenFile, settings.roundMs), 'token-file credentials'),
    fixedHeader: await measure(ctx, server, job(kinds.fixedHeader, settings.roundMs), 'fixed header'),
    inMemory: await measure(ctx, server, job(kinds.inMemory, settings.roundMs), 'in-memory call credentials'),
  };
  const rate = Math.max(100, Math.round((0.8 * Math.min(...Object.values(flatOut).map((s) => s.perSecond))) / 100) * 100);
  ctx.progress(`flat out: token file ${formatNumber(flatOut.tokenFile.perSecond)}/s, fixed header ${formatNumber(flatOut.fixedHeader.perSecond)}/s, in-memory credentials ${formatNumber(flatOut.inMemory.perSecond)}/s; rounds at ${formatNumber(rate)}/s`);
  const at = (auth: Auth, what: string) => (ms: number): Promise<Sample> => measure(ctx, server, job(auth, ms, rate), what);
  const showCpu = (a: Sample, b: Sample): string => `client CPU per call ${formatNumber(a.clientCpuPerCall, 1)} vs ${formatNumber(b.clientCpuPerCall, 1)} µs`;
  const clientCapacity = (a: Sample[], b: Sample[]): Spread => pairedRatios(b.map((x) => x.clientCpuPerCall), a.map((x) => x.clientCpuPerCall));
  const { a: file, b: fixed } = await paired(ctx, 'token file vs fixed header', at(kinds.tokenFile, 'token-file credentials'), at(kinds.fixedHeader, 'fixed header'), showCpu);
  // The same comparison against call credentials that hold the token in memory: what the file read itself costs.
  const { a: file2, b: memory } = await paired(ctx, 'token file vs in-memory call credentials', at(kinds.tokenFile, 'token-file credentials'), at(kinds.inMemory, 'in-memory call credentials'), showCpu);
  const fileVsMemory = clientCapacity(file2, memory);
  const comparison: Finding = {
    id: '3',
    title: 'Client over TLS, Node.js: token-file call credentials in the channel (a `stat` per call, shared within a turn) vs a fixed metadata header: client CPU per call with both at one fixed rate, 80 % of the slowest flat-out rate',
    result:
      `at ${formatNumber(rate)}/s: client CPU per call token file ${cpu(file, 'clientCpuPerCall')}, fixed header ${cpu(fixed, 'clientCpuPerCall')}. ` +
      `Against call credentials holding the token in memory: ratio ${formatNumber(fileVsMemory.median, 3)} (${formatNumber(fileVsMemory.min, 3)}–${formatNumber(fileVsMemory.max, 3)}), ${cpu(file2, 'clientCpuPerCall')} vs ${cpu(memory, 'clientCpuPerCall')}. ` +
      `Flat out: token file ${formatNumber(flatOut.tokenFile.perSecond)}/s, fixed header ${formatNumber(flatOut.fixedHeader.perSecond)}/s, in-memory credentials ${formatNumber(flatOut.inMemory.perSecond)}/s`,
    ratio: clientCapacity(file, fixed),
    goal: 0.97,
    data: { rate, flatOut: { tokenFile: strip(flatOut.tokenFile), fixedHeader: strip(flatOut.fixedHeader), inMemory: strip(flatOut.inMemory) }, tokenFile: file.map(strip), fixedHeader: fixed.map(strip), tokenFileAgain: file2.map(strip), inMemoryCredentials: memory.map(strip), fileVsMemory },
  };
  // The file read alone, in-process, against the client CPU of a call with a fixed header.
  const read = await runWorker<AdmissionResult>({ mode: 'token-read', count: String(settings.admissionCalls), rounds: String(settings.rounds) }, 120_000);
  const micros = spread(read.microsPerCall);
  const perCall = median(fixed.map((s) => s.clientCpuPerCall));
  return [
    comparison,
    {
      id: '3b',
      title: 'Read of an unchanged token file when it pays its `stat` (one read per event-loop turn), in-process',
      result: `${formatNumber(micros.median, 2)} µs per call (${formatNumber(micros.min, 2)}–${formatNumber(micros.max, 2)}): ${formatNumber((100 * micros.median) / perCall, 1)} % of the client CPU of a call with a fixed header (${formatNumber(perCall, 1)} µs in #3), so a client-bound ratio of ${formatNumber(perCall / (perCall + micros.median), 3)} for the file read itself`,
      data: { ...read },
    },
  ];
}

export async function streamPrivateVsPublic(ctx: Context): Promise<Finding> {
  // Servers of their own: one that served the unary benchmarks has a different heap and JIT state.
  const [server, openServer] = await Promise.all([startServerProcess(ctx.fixture, { name: 'streams' }), startServerProcess(ctx.fixture, { name: 'streams, no token', allPublic: true })]);
  try {
    return await streamsOn(ctx, server, openServer);
  } finally {
    await Promise.all([server.stop(), openServer.stop()]);
  }
}

/**
 * Like #1: ghz runs streams flat out on each server, then both at one fixed rate of streams (80 % of the
 * slower flat-out rate) in paired rounds, and the servers' CPU per message compares what each kind costs.
 */
async function streamsOn(ctx: Context, server: ServerProcess, openServer: ServerProcess): Promise<Finding> {
  const { settings } = ctx;
  const messages = settings.streamMessages;
  const streams = async (target: ServerProcess, sendToken: boolean, total: number, rps?: number): Promise<Sample> => {
    const r = await ghzSample(ctx, target, { method: 'StreamHello', total, sendToken, concurrency: 4, data: { name: 'bench', count: messages }, ...(rps === undefined ? {} : { rps }) });
    return { perSecond: r.perSecond * messages, serverCpuPerCall: r.serverCpuPerCall / messages, clientCpuPerCall: Number.NaN, calls: r.count * messages };
  };
  const warmStreams = Math.max(10, Math.round(20_000 / messages));
  await streams(server, true, warmStreams);
  await streams(openServer, false, warmStreams);
  const flatOutStreams = Math.max(20, Math.round((settings.roundMs * 80_000) / 1000 / messages));
  const flatOut = { private: await streams(server, true, flatOutStreams), unauthenticated: await streams(openServer, false, flatOutStreams) };
  const rate = Math.max(1, Math.round((0.8 * Math.min(flatOut.private.perSecond, flatOut.unauthenticated.perSecond)) / messages));
  const total = Math.max(4, Math.round((rate * settings.roundMs) / 1000));
  ctx.progress(`flat out: private ${formatNumber(flatOut.private.perSecond)}, unauthenticated ${formatNumber(flatOut.unauthenticated.perSecond)} messages/s; rounds at ${rate} streams/s`);
  const showCpu = (a: Sample, b: Sample): string => `server CPU per message ${formatNumber(a.serverCpuPerCall, 2)} vs ${formatNumber(b.serverCpuPerCall, 2)} µs`;
  const { a: priv, b: open } = await paired(ctx, 'stream messages private vs unauthenticated', () => streams(server, true, total, rate), () => streams(openServer, false, total, rate), showCpu);
  return {
    id: '4',
    title: `Server-streaming capacity, private vs unauthenticated (same handler, no token): server CPU per message with both at one fixed rate of streams (${messages} messages each, 4 at a time, ghz), 80 % of what ghz reaches flat out`,
    result:
      `at ${rate} streams/s (${formatNumber(rate * messages)} messages/s): server CPU per message private ${cpu(priv, 'serverCpuPerCall')}, unauthenticated ${cpu(open, 'serverCpuPerCall')}. ` +
      `Flat out, ghz reached private ${formatNumber(flatOut.private.perSecond)}, unauthenticated ${formatNumber(flatOut.unauthenticated.perSecond)} messages/s`,
    ratio: pairedRatios(open.map((x) => x.serverCpuPerCall), priv.map((x) => x.serverCpuPerCall)),
    goal: 0.97,
    data: { messagesPerStream: messages, rate, streamsPerRound: total, flatOut, private: priv, unauthenticated: open },
  };
}

export async function latencyAtFixedRate(ctx: Context): Promise<Finding> {
  const { server, uncachedServer, settings } = ctx;
  // A third of what ghz reaches flat out on public calls (#1): loaded, but below the knee.
  const rate = Math.max(100, Math.round((ctx.publicPerSecond ?? 3_000) / 3 / 100) * 100);
  const total = Math.max(200, Math.round((rate * settings.roundMs * 2) / 1000));
  const cached: GhzResult[] = [];
  const uncached: GhzResult[] = [];
  await ghzSample(ctx, server, { method: 'PrivateHello', total: Math.min(total, 2_000), rps: rate });
  await ghzSample(ctx, uncachedServer, { method: 'PrivateHello', total: Math.min(total, 2_000), rps: rate });
  for (let round = 1; round <= settings.rounds; round += 1) {
    const order = round % 2 === 1 ? ([[server, cached], [uncachedServer, uncached]] as const) : ([[uncachedServer, uncached], [server, cached]] as const);
    for (const [target, into] of order) into.push(await ghzSample(ctx, target, { method: 'PrivateHello', total, rps: rate }));
    const last = (results: GhzResult[]): string => `${formatNumber(results.at(-1)?.p50Ms ?? Number.NaN, 2)}/${formatNumber(results.at(-1)?.p99Ms ?? Number.NaN, 2)} ms`;
    ctx.progress(`latency at ${rate}/s round ${round}/${settings.rounds}: p50/p99 cache on ${last(cached)}, cache off ${last(uncached)}`);
  }
  const q = (results: GhzResult[], key: 'p50Ms' | 'p99Ms'): string => `${formatNumber(median(results.map((r) => r[key])), 2)} ms`;
  return {
    id: '5',
    title: `Private unary latency at a fixed ${formatNumber(rate)} calls/s (a third of what ghz reaches flat out on public calls), with and without the token cache`,
    result: `cache on: p50 ${q(cached, 'p50Ms')}, p99 ${q(cached, 'p99Ms')}; cache off: p50 ${q(uncached, 'p50Ms')}, p99 ${q(uncached, 'p99Ms')} (medians of ${settings.rounds} rounds of ${formatNumber(total)} calls)`,
    data: { rate, callsPerRound: total, cacheOn: cached, cacheOff: uncached },
  };
}

export async function memory(ctx: Context): Promise<Finding[]> {
  const { fixture, settings } = ctx;
  // A server of its own, so the heap grown by earlier benchmarks does not blur the figures.
  const server = await startServerProcess(fixture, { name: 'memory' });
  try {
    return await memoryOn(ctx, server);
  } finally {
    await server.stop();
  }
}

async function memoryOn(ctx: Context, server: ServerProcess): Promise<Finding[]> {
  const { fixture, settings } = ctx;
  const before = await server.stats(true);
  const held = await ctx.load.hold({ kind: 'hold-streams', target: server.target, auth: header(fixture.token), streams: settings.heldStreams, connections: Math.ceil(settings.heldStreams / 100) });
  const during = await server.stats(true);
  const released = await held.release();
  const after = await server.stats(true);
  if (held.open !== settings.heldStreams) throw new Error(`only ${held.open} of ${settings.heldStreams} streams opened: ${released.firstError ?? 'no error reported'}`);
  ctx.progress(`${held.open} open streams: server RSS ${mib(before.rssBytes)} → ${mib(during.rssBytes)} → ${mib(after.rssBytes)} after release`);
  const perStream = (during.heapUsedBytes - before.heapUsedBytes) / held.open;

  const cache = await runWorker<CacheMemoryResult>({ mode: 'cache-memory', count: String(settings.cacheTokens), cache_sizes: settings.cacheSizes.join(',') }, 900_000);
  const runs = cache.runs.map((run) => `size ${formatNumber(run.cacheSize)}: ${formatNumber(run.entries)} entries, heap +${mib(run.heapBytes)} (${formatNumber(run.heapBytes / Math.max(1, run.entries))} B/entry), RSS +${mib(run.rssBytes)}`);
  return [
    {
      id: '6a',
      title: `Server memory with ${formatNumber(held.open)} concurrent open private streams`,
      result: `RSS ${mib(before.rssBytes)} idle, ${mib(during.rssBytes)} with the streams open (heap +${formatNumber(perStream / 1024, 1)} KiB per stream), ${mib(after.rssBytes)} after they end`,
      data: { streams: held.open, before, during, after },
    },
    {
      id: '6b',
      title: `Verified-token cache memory after ${formatNumber(cache.tokens)} distinct tokens`,
      result: runs.join('; '),
      data: { ...cache },
    },
  ];
}

function mib(bytes: number): string {
  return `${formatNumber(bytes / 2 ** 20, 1)} MiB`;
}

/** A sample without the load generator's raw result, for the JSON report. */
function strip(sample: Sample): Sample {
  return { perSecond: sample.perSecond, serverCpuPerCall: sample.serverCpuPerCall, clientCpuPerCall: sample.clientCpuPerCall, calls: sample.calls };
}
