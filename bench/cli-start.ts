/**
 * The operator CLI as users run it: the size of its bundle (`npm run build:cli`'s build), and the
 * time `ses-feedback classify` takes from process start to exit next to a bare `node -e 0`, each in
 * a fresh process, alternating so that machine noise hits both alike.
 *
 * `npx tsx bench/cli-start.ts [--runs N]` prints just these figures; `npm run bench` includes them.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { buildCli, CLI_ENTRY_FILE } from '../scripts/build-cli.js';
import { median } from './cold-start.js';

/** A real SES event (event publishing, Permanent bounce): one `suppress` decision. */
const INPUT = join(__dirname, '..', 'test', 'fixtures', 'eventpub-bounce-permanent-general.json');

export interface CliFigures {
  /** Every JavaScript file of the bundle (entry and chunks), source maps left out. */
  readonly bundleBytes: number;
  /** The entry alone: what Node parses before it knows the command. */
  readonly entryBytes: number;
  /** Median milliseconds from spawning `ses-feedback classify <file>` to its exit. */
  readonly classifyMs: number;
  /** Median milliseconds from spawning `node -e 0` to its exit. */
  readonly nodeMs: number;
  readonly runs: number;
}

/** Builds the CLI into `outdir` and measures it over `runs` runs of each process. */
export async function measureCli(outdir: string, runs: number): Promise<CliFigures> {
  await buildCli(outdir);
  const entry = join(outdir, CLI_ENTRY_FILE);
  const files = readdirSync(outdir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
  const bytes = (file: string): number => statSync(join(outdir, file)).size;
  const env = { PATH: process.env.PATH };
  const time = (args: string[]): number => {
    const t0 = performance.now();
    const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr.trim().split('\n').pop() ?? ''}`);
    return ms;
  };
  const check = spawnSync(process.execPath, [entry, 'classify', INPUT], { env, encoding: 'utf8' });
  if (check.status !== 0 || !check.stdout.includes('"action":"suppress"')) throw new Error(`ses-feedback classify did not decide: ${check.stderr.trim()}`);
  const classify: number[] = [];
  const node: number[] = [];
  for (let run = 0; run < runs; run++) {
    node.push(time(['-e', '0']));
    classify.push(time([entry, 'classify', INPUT]));
  }
  return { bundleBytes: files.reduce((sum, f) => sum + bytes(f), 0), entryBytes: bytes(CLI_ENTRY_FILE), classifyMs: median(classify), nodeMs: median(node), runs };
}

/** Where the bench builds the CLI (not dist/: the bench measures the current sources). */
export const BENCH_CLI_DIR = join('.local', 'bench', 'cli');

if (require.main === module) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
  measureCli(BENCH_CLI_DIR, Number(values.runs)).then(
    (f) => {
      console.log(`ses-feedback classify: ${f.classifyMs.toFixed(0)} ms; node -e 0: ${f.nodeMs.toFixed(0)} ms; ratio ${(f.classifyMs / f.nodeMs).toFixed(2)}x (median of ${f.runs} each)`);
      console.log(`bundle: ${(f.bundleBytes / 1024).toFixed(0)} KB in all, entry ${(f.entryBytes / 1024).toFixed(1)} KB`);
    },
    (error: unknown) => {
      console.error(`cli-start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
