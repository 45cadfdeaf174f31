import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadReply, LoadResult, ProcessStats, ServerReply } from './protocol.js';
import { AUDIENCE, type Fixture, ISSUER } from './fixture.js';
import { PINNING, pinProcess } from './pinning.js';

const here = (file: string): string => fileURLToPath(new URL(`../${file}`, import.meta.url));

/** The next IPC message of a given type from a child, or the reason it will never come. */
function nextMessage<M extends { type: string }, T extends M['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no "${type}" message from ${child.spawnfile} pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: M): void => {
      if (message.type === type) done(undefined, message as Extract<M, { type: T }>);
    };
    const onExit = (code: number | null): void => done(new Error(`benchmark process pid ${child.pid} exited (code ${code}) while waiting for "${type}"`));
    function done(error?: Error, message?: Extract<M, { type: T }>): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message as Extract<M, { type: T }>);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function start(file: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return fork(here(file), [], { env: { ...process.env, ...env }, execArgv: ['--expose-gc', ...(process.env.BENCH_EXEC_ARGV ?? '').split(' ').filter(Boolean)], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

export interface ServerProcess {
  readonly name: string;
  readonly target: string;
  stats(gc?: boolean): Promise<ProcessStats>;
  stop(): Promise<void>;
}

export type ServerVariant = {
  readonly name: string;
  readonly allPublic?: boolean;
  readonly cacheSize?: number;
  /** Time `verifier.lookupOrVerify()` inside the server (reported in its stats). */
  readonly timeAdmission?: boolean;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
};

/** Starts bench-server.js in its own process and waits until it listens. */
export async function startServerProcess(fixture: Fixture, variant: ServerVariant): Promise<ServerProcess> {
  const child = start('bench-server.js', {
    BENCH_ISSUER: ISSUER,
    BENCH_AUDIENCE: AUDIENCE,
    BENCH_JWKS_FILE: fixture.jwksFile,
    BENCH_PUBLIC: variant.allPublic ? 'all' : '',
    BENCH_CACHE_SIZE: String(variant.cacheSize ?? 10_000),
    BENCH_TIME_ADMISSION: variant.timeAdmission ? '1' : '',
    BENCH_TLS_CERT: variant.tls?.certFile ?? '',
    BENCH_TLS_KEY: variant.tls?.keyFile ?? '',
  });
  pinProcess(child.pid, PINNING?.server);
  const { port } = await nextMessage<ServerReply, 'listening'>(child, 'listening', 20_000);
  return {
    name: variant.name,
    target: `127.0.0.1:${port}`,
    async stats(gc = false) {
      const reply = nextMessage<ServerReply, 'stats'>(child, 'stats', 10_000);
      child.send({ type: 'stats', gc });
      return (await reply).stats;
    },
    stop: () => stop(child),
  };
}

export interface LoadGenerator {
  run(job: LoadJob, timeoutMs?: number): Promise<LoadResult>;
  /** Starts a hold-streams job; resolves once they are open, with a function that releases them. */
  hold(job: Extract<LoadJob, { kind: 'hold-streams' }>): Promise<{ open: number; release(): Promise<LoadResult> }>;
  stop(): Promise<void>;
}

export function startLoadGenerator(): LoadGenerator {
  const child = start('load-generator.js');
  pinProcess(child.pid, PINNING?.load);
  return {
    async run(job, timeoutMs = job.kind === 'hold-streams' ? 60_000 : ('durationMs' in job ? job.durationMs : 0) + 60_000) {
      const reply = nextMessage<LoadReply, 'result'>(child, 'result', timeoutMs);
      child.send({ type: 'run', job });
      return (await reply).result;
    },
    async hold(job) {
      const holding = nextMessage<LoadReply, 'holding'>(child, 'holding', 60_000);
      child.send({ type: 'run', job });
      const { open } = await holding;
      return {
        open,
        async release() {
          const reply = nextMessage<LoadReply, 'result'>(child, 'result', 60_000);
          child.send({ type: 'release' });
          return (await reply).result;
        },
      };
    },
    stop: () => stop(child),
  };
}

/** verify-worker.js settings as its environment: { mode: 'cold' } becomes BENCH_MODE=cold. */
const workerEnv = (args: Record<string, string>): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(args).map(([k, v]) => [`BENCH_${k.toUpperCase()}`, v]));

/** A verify-worker.js process that answers requests one at a time (for measurements split over processes). */
export interface WorkerProcess {
  request<R extends { type: string }>(message: object, replyType: R['type'], timeoutMs: number): Promise<R>;
  stop(): Promise<void>;
}

/** Starts verify-worker.js in a mode that serves requests, bound to a CPU list (if any). */
export function startWorkerProcess(args: Record<string, string>, cpus: string | undefined): WorkerProcess {
  const child = start('verify-worker.js', workerEnv(args));
  pinProcess(child.pid, cpus);
  return {
    async request<R extends { type: string }>(message: object, replyType: R['type'], timeoutMs: number) {
      const reply = nextMessage<R, R['type']>(child, replyType, timeoutMs);
      child.send(message);
      return (await reply) as R;
    },
    stop: () => stop(child),
  };
}

/** Runs a one-shot worker (verify-worker.js) and returns its single reply. */
export async function runWorker<T>(args: Record<string, string>, timeoutMs: number): Promise<T> {
  const child = start('verify-worker.js', workerEnv(args));
  try {
    return (await nextMessage<{ type: 'done'; result: T }, 'done'>(child, 'done', timeoutMs)).result;
  } finally {
    await stop(child);
  }
}
