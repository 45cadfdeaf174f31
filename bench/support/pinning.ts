import { execFileSync, spawnSync } from 'node:child_process';

/**
 * CPU sets for the two sides of a load test. On a small machine the server and the load generator
 * otherwise take turns on the same cores, and the scheduler's choices move throughput by tens of percent
 * from one round to the next; pinned, each side owns its cores. Needs `taskset` (util-linux) and at
 * least 2 CPUs allowed to this process: the first goes to servers, the rest to load. BENCH_PIN=0 turns it off.
 */
export interface Pinning {
  /** CPU list for the servers under test, in taskset syntax. */
  readonly server: string;
  /** CPU list for load generators (ghz and the Node.js client). */
  readonly load: string;
}

function detect(): Pinning | undefined {
  if (process.env.BENCH_PIN === '0') return undefined;
  const cpus = allowedCpus();
  if (cpus === undefined || cpus.length < 2) return undefined;
  return { server: String(cpus[0]), load: cpus.slice(1).join(',') };
}

/** The CPUs this process may run on, from `taskset -pc` ("pid 1's current affinity list: 0-3,6"). */
function allowedCpus(): number[] | undefined {
  const result = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const list = /list:\s*([\d,-]+)/.exec(result.stdout)?.[1];
  if (list === undefined) return undefined;
  return list.split(',').flatMap((range) => {
    const [from, to = from] = range.split('-').map(Number) as [number, number?];
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

export const PINNING: Pinning | undefined = detect();

/** Binds a running process, all its threads included, to a CPU list. */
export function pinProcess(pid: number | undefined, cpus: string | undefined): void {
  if (pid === undefined || cpus === undefined) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(`cannot pin pid ${pid} to CPU ${cpus} (${(error as Error).message.split('\n')[0]}); run with BENCH_PIN=0 to measure unpinned`);
  }
}

/** The command line that runs `file` bound to a CPU list (unchanged when there is none). */
export function pinnedCommand(file: string, args: readonly string[], cpus: string | undefined): [string, string[]] {
  return cpus === undefined ? [file, [...args]] : ['taskset', ['-c', cpus, file, ...args]];
}

export function describePinning(): string {
  return PINNING === undefined ? 'no CPU pinning' : `servers pinned to CPU ${PINNING.server}, load generators to CPU ${PINNING.load}`;
}
