/**
 * `npm run bench`: the performance suite. Servers and the load generator run in processes of their own;
 * every ratio is measured side by side in paired rounds. `--quick` is CI's smoke run (proves the suite
 * works, its numbers mean nothing); `--only 1,3` runs some benchmarks.
 * Results: bench/results/latest.{md,json} (full), partial.* (--only) or smoke.* (--quick).
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { admissionCost, type Context, coldVerification, FULL, latencyAtFixedRate, memory, QUICK, streamPrivateVsPublic, tokenFileVsHeader, unaryPrivateVsPublic } from './scenarios.js';
import { createFixture } from './support/fixture.js';
import { findGhz } from './support/ghz.js';
import { startLoadGenerator, startServerProcess } from './support/processes.js';
import { type Finding, machine, type Report, toMarkdown, writeReport } from './support/report.js';

const BENCHMARKS: readonly { readonly id: number; readonly name: string; readonly run: (ctx: Context) => Promise<Finding | Finding[]> }[] = [
  { id: 1, name: 'unary private vs public, and the admission cost in-process', run: async (ctx) => [await unaryPrivateVsPublic(ctx), await admissionCost(ctx)] },
  { id: 2, name: 'cold verification vs crypto.verify', run: coldVerification },
  { id: 3, name: 'token-file credentials vs fixed header', run: tokenFileVsHeader },
  { id: 4, name: 'stream messages private vs public', run: streamPrivateVsPublic },
  { id: 5, name: 'latency at a fixed rate, cache on and off', run: latencyAtFixedRate },
  { id: 6, name: 'memory: open streams and cached tokens', run: memory },
];

function parseArgs(argv: readonly string[]): { quick: boolean; only: Set<number> | undefined } {
  let quick = false;
  let only: Set<number> | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only') {
      const ids = (argv[++i] ?? '').split(',').map(Number);
      if (ids.some((id) => !BENCHMARKS.some((b) => b.id === id))) throw new Error(`--only takes benchmark numbers from 1 to ${BENCHMARKS.length}, comma-separated`);
      only = new Set(ids);
    } else throw new Error(`unknown argument ${arg}; usage: npm run bench [-- --quick] [-- --only 1,3]`);
  }
  return { quick, only };
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const settings = quick ? QUICK : FULL;
  const selected = BENCHMARKS.filter((b) => only === undefined || only.has(b.id));
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const started = Date.now();
  log(`bench (${quick ? 'quick smoke run' : 'full'}): ${selected.length} benchmarks, ${settings.rounds} rounds of ${settings.roundMs} ms each`);

  const ghz = await findGhz();
  const fixture = createFixture();
  const load = startLoadGenerator();
  const [server, uncachedServer] = await Promise.all([startServerProcess(fixture, { name: 'default' }), startServerProcess(fixture, { name: 'cache off', cacheSize: 0 })]);
  const ctx: Context = { settings, fixture, load, ghz, server, uncachedServer, progress: (line) => log(`      ${line}`) };
  const report: Report = { startedAt: new Date(started).toISOString(), mode: quick ? 'quick' : 'full', machine: machine(), findings: [] };
  try {
    for (const [index, benchmark] of selected.entries()) {
      log(`[${index + 1}/${selected.length}] ${benchmark.name} (${Math.round((Date.now() - started) / 1000)} s elapsed)`);
      const findings = await benchmark.run(ctx);
      report.findings.push(...(Array.isArray(findings) ? findings : [findings]));
    }
  } finally {
    await Promise.all([load.stop(), server.stop(), uncachedServer.stop()]);
    rmSync(fixture.dir, { recursive: true, force: true });
  }
  // Only a full run of every benchmark becomes `latest`, the figures the README quotes.
  const name = quick ? 'smoke' : only === undefined ? 'latest' : 'partial';
  const path = writeReport(report, fileURLToPath(new URL('../../bench/results/', import.meta.url)), name);
  log(`\n${toMarkdown(report)}`);
  log(`written to ${path} (${Math.round((Date.now() - started) / 1000)} s)`);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
