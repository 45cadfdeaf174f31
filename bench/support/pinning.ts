import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * CPU sets for the two sides of a load test. On a small machine the server and the load generator
 * otherwise take turns on the same cores, and the scheduler's choices move throughput by tens of percent
 * from one round to the next; pinned, each side owns its cores. Needs `taskset` (util-linux) and at
 * least 2 CPUs; BENCH_PIN=0 turns it off.
 */
export interface Pinning {
  /** CPU list for the servers under test, in taskset syntax. */
  readonly server: string;
  /** CPU list for load generators (ghz and the Node.js client). */
  readonly load: string;
}

function detect(): Pinning | undefined {
  const cpus = availableParallelism();
  if (process.env.BENCH_PIN === '0' || cpus < 2) return undefined;
  if (spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status !== 0) return undefined;
  return { server: '0', load: cpus === 2 ? '1' : `1-${cpus - 1}` };
}

export const PINNING: Pinning | undefined = detect();

/** Binds a running process, all its threads included, to a CPU list. */
export function pinProcess(pid: number | undefined, cpus: string | undefined): void {
  if (pid === undefined || cpus === undefined) return;
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** The command line that runs `file` bound to a CPU list (unchanged when there is none). */
export function pinnedCommand(file: string, args: readonly string[], cpus: string | undefined): [string, string[]] {
  return cpus === undefined ? [file, [...args]] : ['taskset', ['-c', cpus, file, ...args]];
}

export function describePinning(): string {
  return PINNING === undefined ? 'no CPU pinning' : `servers pinned to CPU ${PINNING.server}, load generators to CPU ${PINNING.load}`;
}
