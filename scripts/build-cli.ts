/**
 * `npm run build:cli`: bundles the operator CLI into `dist/cli/`: the entry `ses-feedback.mjs`
 * (package.json `bin`) and, beside it, the chunks it loads only when a command needs them.
 *
 * ES modules with code splitting, because that is how esbuild keeps a dynamic `import()` out of the
 * entry: each command (and the SDK clients it uses) is parsed only when that command runs, so
 * `classify` starts without any AWS SDK. Packages are read in their ES module form where they ship
 * one (`module` before `main`), which also lets esbuild drop what is not used. Minified, with
 * source maps beside the files (Node reads them only under `--enable-source-maps`).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';

const ROOT = join(__dirname, '..');

/** Where `npm run build:cli` writes the CLI. */
export const CLI_OUTDIR = join(ROOT, 'dist', 'cli');

/** The entry package.json's `bin` points at, relative to the output directory. */
export const CLI_ENTRY_FILE = 'ses-feedback.mjs';

/** The CLI's build, into `outdir`; the metafile's paths are relative to the project's root. */
export function cliBuildOptions(outdir: string = CLI_OUTDIR): BuildOptions & { metafile: true } {
  return {
    absWorkingDir: ROOT,
    entryPoints: { 'ses-feedback': join('bin', 'ses-feedback.ts') },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    splitting: true,
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
  };
}

/** Builds the CLI into an emptied `outdir` (chunk names carry hashes: old ones would pile up). */
export async function buildCli(outdir: string = CLI_OUTDIR): Promise<Metafile> {
  rmSync(outdir, { recursive: true, force: true });
  const { metafile } = await build(cliBuildOptions(outdir));
  return metafile;
}

if (require.main === module) {
  buildCli().catch((error: unknown) => {
    console.error(`build:cli: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
