/**
 * Cold start: the processing function bundled as the stack deploys it (esbuild, minified, AWS SDK
 * left to the Lambda runtime), its size, and the time a fresh Node process takes to start and load
 * and initialise it, against the same for an empty handler and for the SDK floor (only the two
 * clients the work needs), all bundled the same way.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { LAMBDA_BUNDLING } from '../lambdas/shared/settings.js';

export type Bundle = 'empty' | 'sdk-floor' | 'process-feedback' | 'write-suppressions' | 'naive' | 'cpu-run';

const ENTRIES: Record<Bundle, string> = {
  empty: 'bench/handlers/empty.ts',
  'sdk-floor': 'bench/handlers/sdk-floor.ts',
  'process-feedback': 'lambdas/process-feedback/index.ts',
  'write-suppressions': 'lambdas/write-suppressions/index.ts',
  naive: 'bench/handlers/naive.ts',
  'cpu-run': 'bench/cpu-run.ts',
};

/** Where the bundles go: inside the project, so the runtime-provided SDK resolves from node_modules. */
export const BUNDLE_DIR = join('.local', 'bench', 'bundles');

/** Bundles one handler; the naive baseline with the SDK inside and not minified, as hand-written functions ship. */
export function bundle(name: Bundle): { file: string; bytes: number } {
  const file = join(BUNDLE_DIR, name, 'index.js');
  const naive = name === 'naive';
  buildSync({
    entryPoints: [ENTRIES[name]],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: LAMBDA_BUNDLING.target,
    minify: naive ? false : LAMBDA_BUNDLING.minify,
    external: naive ? [] : ['@aws-sdk/*'],
    outfile: file,
    logLevel: 'warning',
  });
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
