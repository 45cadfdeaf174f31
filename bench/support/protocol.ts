/** Messages between the benchmark driver and its child processes (Node IPC, structured clone). */

export interface ProcessStats {
  /** CPU time used since the process started, µs (user + system). */
  readonly cpuMicros: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Servers started with timed admission: calls to `verifier.lookupOrVerify()` and the µs they took in all. */
  readonly admission?: { readonly calls: number; readonly micros: number };
}

export type StatsRequest = { readonly type: 'stats'; readonly gc: boolean };

export type Auth =
  | { readonly kind: 'none' }
  /** A metadata header set by the caller on each call. */
  | { readonly kind: 'header'; readonly token: string }
  /** grpc-js call credentials that return a token held in memory: the cost of the call-credentials mechanism itself. */
  | { readonly kind: 'fixed-credentials'; readonly token: string }
  /** The library's token-file call credentials. */
  | { readonly kind: 'token-file'; readonly path: string };

/** Where a job connects: `caFile` makes it TLS (the server must have been started with a certificate). */
interface Target {
  readonly target: string;
  readonly caFile?: string;
}

export type LoadJob =
  /**
   * Closed loop: `concurrency` calls always in flight for `durationMs`. With `ratePerSecond`, calls start
   * at that rate instead, at most `concurrency` in flight.
   */
  | (Target & { readonly kind: 'unary'; readonly method: 'publicHello' | 'privateHello'; readonly auth: Auth; readonly concurrency: number; readonly durationMs: number; readonly ratePerSecond?: number })
  /** Streams of `messages` each, `concurrency` at a time, for `durationMs`. */
  | (Target & { readonly kind: 'stream'; readonly auth: Auth; readonly concurrency: number; readonly messages: number; readonly durationMs: number })
  /** Opens `streams` slow streams over `connections` connections and keeps them open until `release`. */
  | (Target & { readonly kind: 'hold-streams'; readonly auth: Auth; readonly streams: number; readonly connections: number });

export type LoadRequest = { readonly type: 'run'; readonly job: LoadJob } | { readonly type: 'release' } | StatsRequest;

export interface LoadResult {
  readonly completed: number;
  readonly failed: number;
  /** The first failure, to say what went wrong. */
  readonly firstError: string | undefined;
  readonly elapsedMs: number;
  /** CPU the load generator spent on the job, µs. */
  readonly cpuMicros: number;
}

export type LoadReply = { readonly type: 'result'; readonly result: LoadResult } | { readonly type: 'holding'; readonly open: number } | { readonly type: 'stats'; readonly stats: ProcessStats };

export type ServerReply = { readonly type: 'listening'; readonly port: number } | { readonly type: 'stats'; readonly stats: ProcessStats };

export function ownStats(gc: boolean): ProcessStats {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { cpuMicros: cpu.user + cpu.system, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed };
}
