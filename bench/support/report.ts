import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { describePinning } from './pinning.js';
import { formatNumber, type Spread } from './stats.js';

/** One benchmark's outcome: what was measured, the figures, and (for ratio benchmarks) the goal. */
export interface Finding {
  /** The benchmark's number in the suite (a letter for a second finding of one benchmark). */
  readonly id: string;
  readonly title: string;
  /** Markdown: the figures behind the result. */
  readonly result: string;
  readonly ratio?: Spread;
  /** Ratio goal (≥), when the issue sets one. */
  readonly goal?: number;
  readonly data: Record<string, unknown>;
}

export interface Report {
  readonly startedAt: string;
  readonly mode: 'full' | 'quick';
  readonly machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string; pinning: string };
  readonly findings: Finding[];
}

export function machine(): Report['machine'] {
  const cpu = cpus();
  return { cpu: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}`, pinning: describePinning() };
}

const ratioText = (ratio: Spread | undefined): string =>
  ratio === undefined ? '' : `${formatNumber(ratio.median, 3)} (${formatNumber(ratio.min, 3)}–${formatNumber(ratio.max, 3)})`;

const goalText = (finding: Finding): string => {
  if (finding.goal === undefined || finding.ratio === undefined) return '';
  return `≥ ${finding.goal} ${finding.ratio.median >= finding.goal ? 'met' : 'not met'}`;
};

export function toMarkdown(report: Report): string {
  const m = report.machine;
  return [
    `Run ${report.startedAt} (${report.mode}) on ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, Node.js ${m.node}, ${m.platform}; ${m.pinning}.`,
    '',
    '| # | Measurement | Result | Ratio: median (min–max of rounds) | Goal |',
    '|---|---|---|---|---|',
    ...report.findings.map((f) => `| ${f.id} | ${f.title} | ${f.result} | ${ratioText(f.ratio)} | ${goalText(f)} |`),
    '',
  ].join('\n');
}

/** Writes `<dir>/<name>.md` and `<dir>/<name>.json`; returns the Markdown path. */
export function writeReport(report: Report, dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const path = join(dir, `${name}.md`);
  writeFileSync(path, `# Benchmark results\n\n${toMarkdown(report)}`);
  return path;
}
