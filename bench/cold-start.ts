/**
 * Cold start: the pipeline's functions bundled as the stack deploys them (esbuild, minified, the
 * AWS SDK inside: {@link lambdaBuildOptions}), their size, and the time a fresh Node process takes
 * to start and load and initialise one, against the same for an empty handler and for the SDK floor
 * (only the two clients the work needs), all bundled the same way.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { LAMBDA_BUNDLING } from '../lambdas/shared/settings.js';
import { lambdaBuildOptions } from '../scripts/build-package.js';

export type Bundle = 'empty' | 'sdk-floor' | 'process-feedback' | 'write-suppressions' | 'watch-reputation' | 'pause-sending' | 'naive' | 'cpu-run';

const ENTRIES: Record<Bundle, string> = {
  empty: 'bench/handlers/empty.ts',
  'sdk-floor': 'bench/handlers/sdk-floor.ts',
  'process-feedback': 'lambdas/process-feedback/index.ts',
  'write-suppressions': 'lambdas/write-suppressions/index.ts',
  'watch-reputation': 'lambdas/watch-reputation/index.ts',
  'pause-sending': 'lambdas/pause-sending/index.ts',
  naive: 'bench/handlers/naive.ts',
  'cpu-run': 'bench/cpu-run.ts',
};

/** Where the bundles go (each bundle holds its SDK, so the place is the bench's own). */
export const BUNDLE_DIR = join('.local', 'bench', 'bundles');

/**
 * Bundles one handler as the stack deploys its functions; the naive baseline with the SDK inside
 * from its CommonJS builds and not minified, as hand-written functions ship.
 */
export function bundle(name: Bundle): { file: string; bytes: number } {
  const dir = join(BUNDLE_DIR, name);
  const options = lambdaBuildOptions(ENTRIES[name], dir);
  buildSync(
    name === 'naive'
      ? { entryPoints: options.entryPoints, absWorkingDir: options.absWorkingDir, bundle: true, platform: 'node', format: 'cjs', target: LAMBDA_BUNDLING.target, outfile: options.outfile, logLevel: 'warning' }
      : options,
  );
  const file = join(dir, 'index.js');
  return { file, bytes: statSync(file).size };
}

export interface StartFigures {
  /** Median milliseconds from process start to the handler module loaded and initialised. */
  readonly readyMs: number;
  /** Median milliseconds spent loading and initialising the module alone. */
  readonly initMs: number;
}

const LOADER = `
const t0 = performance.now();
require(process.argv[2]);
const t1 = performance.now();
process.stdout.write(JSON.stringify({ readyMs: t1, initMs: t1 - t0 }));
`;

/** Starts a fresh Node process per run, alternating the bundles so that machine noise hits all alike. */
export function measureStarts(files: Record<string, string>, runs: number, env: Record<string, string>): Record<string, StartFigures> {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const loader = join(BUNDLE_DIR, 'loader.js');
  writeFileSync(loader, LOADER);
  const samples = new Map<string, Array<{ readyMs: number; initMs: number }>>();
  for (let run = 0; run < runs; run++) {
    for (const [name, file] of Object.entries(files)) {
      const result = spawnSync(process.execPath, [loader, join(process.cwd(), file)], {
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`loading the ${name} bundle failed: ${result.stderr.trim().split('\n').pop() ?? ''}`);
      const list = samples.get(name) ?? [];
      list.push(JSON.parse(result.stdout) as { readyMs: number; initMs: number });
      samples.set(name, list);
    }
  }
  return Object.fromEntries(
    [...samples].map(([name, list]) => [name, { readyMs: median(list.map((s) => s.readyMs)), initMs: median(list.map((s) => s.initMs)) }]),
  );
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
