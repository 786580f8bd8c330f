/**
 * `npm run build:package` (and `npm pack`'s `prepack`): builds what the npm package ships, into
 * `dist/construct/`:
 *
 * - the construct, compiled by `tsc -p tsconfig.package.json` to CommonJS with `.d.ts` beside it
 *   (`lib/` and the two pure modules it reads, `lambdas/shared/contract.ts` and `lambdas/shared/settings.ts`);
 * - each function's bundle, `assets/<handler>/index.js`, built by esbuild exactly as
 *   NodejsFunction bundles it from a checkout (the options below are the ones it passes for
 *   {@link LAMBDA_BUNDLING}: CommonJS for Node, the AWS SDK v3 bundled, minified, a linked source
 *   map without sources), so a consumer's synth needs neither esbuild nor Docker nor our sources;
 * - and the operator CLI (`npm run build:cli`).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { LAMBDA_BUNDLING } from '../lambdas/shared/settings.js';
import { PIPELINE_HANDLERS, prebuiltCodeDirectory, type PipelineHandler } from '../lib/pipeline-function.js';
import { buildCli } from './build-cli.js';

const ROOT = join(__dirname, '..');

type LambdaBundling = typeof LAMBDA_BUNDLING;

/**
 * esbuild's options for each key of {@link LAMBDA_BUNDLING}, as NodejsFunction passes them: a key
 * added there fails to compile here until it is mapped.
 */
const ESBUILD_OPTIONS: { readonly [K in keyof LambdaBundling]: (value: LambdaBundling[K]) => BuildOptions } = {
  minify: (minify) => ({ minify }),
  sourceMap: (sourcemap) => ({ sourcemap }),
  sourcesContent: (sourcesContent) => ({ sourcesContent }),
  target: (target) => ({ target }),
  // NodejsFunction leaves nothing external when the SDK is bundled, and otherwise `@aws-sdk/*`
  // (`@smithy/*` too under the `sdkV3ExcludeSmithyPackages` flag, which cdk.json does not set).
  bundleAwsSDK: (bundled) => ({ external: bundled ? [] : ['@aws-sdk/*'] }),
  mainFields: (fields) => ({ mainFields: [...fields] }),
};

function esbuildOption<K extends keyof LambdaBundling>(key: K): BuildOptions {
  return ESBUILD_OPTIONS[key](LAMBDA_BUNDLING[key]);
}

/**
 * The esbuild options NodejsFunction uses with {@link LAMBDA_BUNDLING} for a handler module
 * (`entry`, relative to the project), into `outdir/index.js`: the package's bundles, and the
 * bench's. `test/integration/package.test.ts` checks the package's are byte for byte the ones a
 * synth from the checkout makes.
 */
export function lambdaBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    ...(Object.keys(ESBUILD_OPTIONS) as Array<keyof LambdaBundling>).reduce<BuildOptions>((options, key) => ({ ...options, ...esbuildOption(key) }), {}),
    outfile: join(outdir, 'index.js'),
    logLevel: 'warning',
  };
}

/** The esbuild options of one of the pipeline's functions (see {@link lambdaBuildOptions}). */
export function functionBuildOptions(handler: PipelineHandler, outdir: string): BuildOptions {
  return lambdaBuildOptions(join('lambdas', handler, 'index.ts'), outdir);
}

/**
 * Builds the package's `dist/construct/` and `dist/cli/` under `into` (the project itself for
 * `npm pack`; a staging copy for the package test, which leaves the checkout's `dist/` alone).
 */
export async function buildPackage(into: string = ROOT): Promise<void> {
  const outdir = join(into, 'dist', 'construct');
  rmSync(outdir, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.package.json'), '--outDir', outdir], { stdio: 'inherit' });
  // Of lambdas/, lib/ loads the contract and the settings; anything else is compiled only for the
  // types lib/ imports from it, which no declaration the package exports refers to, and its
  // JavaScript (which requires csv-parse and zod) is never loaded.
  const compiled = join(outdir, 'lambdas');
  for (const name of readdirSync(compiled)) if (name !== 'shared') rmSync(join(compiled, name), { recursive: true, force: true });
  for (const name of readdirSync(join(compiled, 'shared'))) if (!/^(contract|settings)\./.test(name)) rmSync(join(compiled, 'shared', name), { recursive: true, force: true });
  // Beside the compiled `lib/`, where PipelineFunction looks for them.
  const compiledLib = join(outdir, 'lib');
  await Promise.all(PIPELINE_HANDLERS.map((handler) => build(functionBuildOptions(handler, prebuiltCodeDirectory(handler, compiledLib)))));
  await buildCli(join(into, 'dist', 'cli'));
}

/** The files `npm pack` takes from the project's root besides `dist/` (package.json's `files`, and what npm always adds). */
const PACKAGE_ROOT_FILES = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];

/** A copy of the package, ready for `npm pack --ignore-scripts` in `staging`, without touching the checkout's `dist/`. */
export async function stagePackage(staging: string): Promise<void> {
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const file of PACKAGE_ROOT_FILES) copyFileSync(join(ROOT, file), join(staging, file));
  await buildPackage(staging);
}

if (require.main === module) {
  buildPackage().catch((error: unknown) => {
    console.error(`build:package: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
