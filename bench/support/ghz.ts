import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PINNING, pinnedCommand } from './pinning.js';

const exec = promisify(execFile);

export const GHZ_INSTALL = 'go install github.com/bojand/ghz/cmd/ghz@v0.93.0';

/** ghz, a Go load generator: it saturates a Node.js server from one core, which a Node.js client cannot. */
export async function findGhz(): Promise<string> {
  const candidates = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'ghz'));
  try {
    const { stdout } = await exec('go', ['env', 'GOPATH']);
    candidates.push(join(stdout.trim(), 'bin', 'ghz'));
  } catch {
    // No Go: only PATH is searched.
  }
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new Error(`ghz not found on PATH or in $(go env GOPATH)/bin: install it with \`${GHZ_INSTALL}\``);
  return found;
}

export interface GhzRun {
  readonly ghz: string;
  readonly protoset: string;
  readonly target: string;
  /** Fully qualified, e.g. wid.demo.v1.HelloService.PrivateHello. */
  readonly call: string;
  readonly token: string | undefined;
  readonly concurrency: number;
  /** Total calls (a count, not a duration: a duration would cancel the calls in flight at its end). */
  readonly total: number;
  /** Calls per second; unlimited when absent. */
  readonly rps?: number;
  /** The request message as JSON; default `{"name":"bench"}`. */
  readonly data?: Record<string, unknown>;
}

export interface GhzResult {
  readonly count: number;
  readonly perSecond: number;
  readonly ok: number;
  readonly firstError: string | undefined;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface GhzReport {
  count: number;
  rps: number;
  statusCodeDistribution?: Record<string, number>;
  errorDistribution?: Record<string, number>;
  latencyDistribution?: { percentage: number; latency: number }[] | null;
}

export async function runGhz(run: GhzRun): Promise<GhzResult> {
  const args = ['--insecure', '--protoset', run.protoset, '--call', run.call, '-d', JSON.stringify(run.data ?? { name: 'bench' }), '-c', String(run.concurrency), '--connections', '1', '-n', String(run.total), '-O', 'json'];
  if (run.token !== undefined) args.push('-m', JSON.stringify({ authorization: `Bearer ${run.token}` }));
  if (run.rps !== undefined) args.push('--rps', String(run.rps));
  const [file, argv] = pinnedCommand(run.ghz, [...args, run.target], PINNING?.load);
  const { stdout } = await exec(file, argv, { maxBuffer: 64 * 2 ** 20, timeout: 300_000 });
  const report = JSON.parse(stdout) as GhzReport;
  const latency = (percentage: number): number => (report.latencyDistribution?.find((d) => d.percentage === percentage)?.latency ?? Number.NaN) / 1e6;
  return {
    count: report.count,
    perSecond: report.rps,
    ok: report.statusCodeDistribution?.OK ?? 0,
    firstError: Object.keys(report.errorDistribution ?? {})[0],
    p50Ms: latency(50),
    p99Ms: latency(99),
  };
}
