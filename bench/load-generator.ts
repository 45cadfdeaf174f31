/**
 * The load generator: a process of its own, so the server under test keeps a core to itself. It runs
 * the jobs the driver sends over IPC with the project's own client pieces (generated stub, token-file
 * call credentials) and replies with counts and its own CPU time.
 */
import { type CallOptions, type ClientReadableStream, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { silentLogger } from '../src/common/logger.js';
import { tokenCallCredentials, tokenFileCallCredentials } from '../src/client/call-credentials.js';
import { channelCredentials as withCallCredentials, perCallOptions } from '../src/client/channel-credentials.js';
import { HelloServiceClient } from '../src/gen/wid/demo/v1/hello.js';
import { type Auth, type LoadJob, type LoadReply, type LoadRequest, type LoadResult, ownStats } from './support/protocol.js';

const send = (reply: LoadReply): void => void process.send?.(reply);
let release: (() => void) | undefined;

process.on('message', (message: LoadRequest) => {
  if (message.type === 'stats') send({ type: 'stats', stats: ownStats(message.gc) });
  else if (message.type === 'release') release?.();
  else void run(message.job).then((result) => send({ type: 'result', result }));
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

interface Caller {
  client: HelloServiceClient;
  /** Metadata and call options for one call, as the chosen kind of authentication builds them. */
  metadata(): Metadata;
  options: Partial<CallOptions>;
}

/**
 * A client for one job. With `caFile` the channel is TLS and call credentials ride in it (the production
 * setup); without, the channel is plaintext and call credentials go per call (grpc-js allows no other way).
 */
function caller(target: string, auth: Auth, caFile: string | undefined, channel = 0): Caller {
  const callCredentials =
    auth.kind === 'fixed-credentials'
      ? tokenCallCredentials({ token: () => Promise.resolve(auth.token) }, { logger: silentLogger })
      : auth.kind === 'token-file'
        ? tokenFileCallCredentials(auth.path, { logger: silentLogger })
        : undefined;
  const transport = { plaintext: caFile === undefined, ...(caFile === undefined ? {} : { caFile }) };
  const channelCredentials = callCredentials === undefined ? (caFile === undefined ? credentials.createInsecure() : credentials.createSsl(readFileSync(caFile))) : withCallCredentials(callCredentials, transport);
  // A distinct channel option gives each connection of a hold-streams job its own subchannel.
  const client = new HelloServiceClient(target, channelCredentials, { 'grpc.use_local_subchannel_pool': 1, 'wid.bench.channel': channel });
  const options = callCredentials === undefined ? {} : perCallOptions(callCredentials, transport);
  if (auth.kind !== 'header') return { client, metadata: () => new Metadata(), options };
  const value = `Bearer ${auth.token}`;
  return {
    client,
    metadata: () => {
      const metadata = new Metadata();
      metadata.set('authorization', value);
      return metadata;
    },
    options,
  };
}

async function run(job: LoadJob): Promise<LoadResult> {
  const cpuBefore = ownStats(false).cpuMicros;
  const started = performance.now();
  const outcome = { completed: 0, failed: 0, firstError: undefined as string | undefined };
  const fail = (error: ServiceError | Error): void => {
    outcome.failed += 1;
    outcome.firstError ??= error.message;
  };
  const callers: Caller[] = [];
  try {
    switch (job.kind) {
      case 'unary': {
        const c = caller(job.target, job.auth, job.caFile);
        callers.push(c);
        const once = (): Promise<void> => unary(c, job.method).then(() => void (outcome.completed += 1), fail);
        if (job.ratePerSecond === undefined) await closedLoop(job.concurrency, started + job.durationMs, once);
        else await paced(job.ratePerSecond, job.concurrency, started + job.durationMs, once);
        break;
      }
      case 'stream': {
        const c = caller(job.target, job.auth, job.caFile);
        callers.push(c);
        await closedLoop(job.concurrency, started + job.durationMs, () => stream(c, job.messages, 0, () => void (outcome.completed += 1)).catch(fail));
        break;
      }
      case 'hold-streams': {
        for (let i = 0; i < job.connections; i += 1) callers.push(caller(job.target, job.auth, job.caFile, i));
        const calls: ClientReadableStream<unknown>[] = [];
        let released = false;
        let open = 0;
        const opened: Promise<void>[] = [];
        const ended: Promise<void>[] = [];
        for (let i = 0; i < job.streams; i += 1) {
          let first!: () => void;
          opened.push(new Promise<void>((resolve) => (first = resolve)));
          const c = callers[i % job.connections] as Caller;
          // Two messages a minute apart: the stream stays open after the first until released.
          ended.push(
            stream(c, 2, 60_000, () => {
              open += 1;
              first();
            }, (call) => calls.push(call)).then(
              () => void (outcome.completed += 1),
              (error: ServiceError) => {
                if (!released) {
                  fail(error);
                  first();
                }
              },
            ),
          );
        }
        await Promise.all(opened);
        send({ type: 'holding', open });
        await new Promise<void>((resolve) => (release = resolve));
        released = true;
        for (const call of calls) call.cancel();
        await Promise.all(ended);
        outcome.completed = open;
        break;
      }
    }
  } finally {
    for (const c of callers) c.client.close();
  }
  return { ...outcome, elapsedMs: performance.now() - started, cpuMicros: ownStats(false).cpuMicros - cpuBefore };
}

/** `concurrency` loops, each starting the next operation when its last one ends, until the deadline. */
async function closedLoop(concurrency: number, deadline: number, once: () => Promise<void>): Promise<void> {
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) await once();
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

/** Starts operations at `rate` per second until the deadline, at most `concurrency` at a time; waits for the last. */
async function paced(rate: number, concurrency: number, deadline: number, once: () => Promise<void>): Promise<void> {
  const interval = 1000 / rate;
  const inFlight = new Set<Promise<void>>();
  let due = performance.now();
  while (performance.now() < deadline) {
    // Timers fire about once a millisecond: start every operation that has come due since.
    while (due <= performance.now() && inFlight.size < concurrency) {
      const operation: Promise<void> = once().finally(() => inFlight.delete(operation));
      inFlight.add(operation);
      due += interval;
    }
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    else await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(due - performance.now(), deadline - performance.now()))));
  }
  await Promise.all(inFlight);
}

function unary(c: Caller, method: 'publicHello' | 'privateHello'): Promise<void> {
  return new Promise((resolve, reject) => {
    c.client[method]({ name: 'bench' }, c.metadata(), c.options, (error: ServiceError | null) => (error ? reject(error) : resolve()));
  });
}

function stream(c: Caller, count: number, intervalMs: number, onMessage: () => void, onStart: (call: ClientReadableStream<unknown>) => void = () => {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = c.client.streamHello({ name: 'bench', count, intervalMs }, c.metadata(), c.options);
    onStart(call);
    call.on('data', onMessage);
    call.on('error', reject);
    call.on('end', resolve);
  });
}
