import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { build, type Metafile } from 'esbuild';
import { PIPELINE_HANDLERS, PipelineFunction, type PipelineHandler } from '../../lib/pipeline-function.js';
import { functionBuildOptions } from '../../scripts/build-package.js';

/*
 * The deployed code is the tested code: each function ships the AWS SDK clients at the versions of
 * package-lock.json, not the Lambda runtime's. Read from esbuild's own account of the package build
 * (its metafile: every input, and what each output leaves external) and from the bundle's text.
 */

const ROOT = join(__dirname, '..', '..');
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
const NODE_BUILTINS = new Set(builtinModules);

interface Built {
  readonly meta: Metafile;
  readonly text: string;
}

/** The SDK client packages a bundle was built from, by their folder (`node_modules/@aws-sdk/client-sqs`). */
function clientFolders(meta: Metafile): string[] {
  return [...new Set(Object.keys(meta.inputs).map((p) => /^(.*node_modules\/@aws-sdk\/client-[a-z0-9-]+)\//.exec(p)?.[1]).filter((f): f is string => f !== undefined))].sort();
}

describe("the functions' bundles", () => {
  const out = mkdtempSync(join(tmpdir(), 'ses-feedback-function-bundles-'));
  const bundles = new Map<PipelineHandler, Built>();
  beforeAll(async () => {
    await Promise.all(
      PIPELINE_HANDLERS.map(async (handler) => {
        const result = await build({ ...functionBuildOptions(handler, join(out, handler)), write: false, metafile: true });
        const js = result.outputFiles.find((f) => f.path.endsWith('index.js'));
        if (!js) throw new Error(`esbuild wrote no index.js for ${handler}`);
        bundles.set(handler, { meta: result.metafile, text: js.text });
      }),
    );
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const bundleOf = (handler: PipelineHandler): Built => {
    const built = bundles.get(handler);
    if (!built) throw new Error(`no bundle for ${handler}`);
    return built;
  };

  it.each(PIPELINE_HANDLERS)('%s leaves nothing to the runtime but Node itself: no @aws-sdk or @smithy module is external', (handler) => {
    const externals = Object.values(bundleOf(handler).meta.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    expect(externals.filter((path) => !path.startsWith('node:') && !NODE_BUILTINS.has(path))).toEqual([]);
  });

  it.each(PIPELINE_HANDLERS)('%s holds each SDK client it uses at the version of package-lock.json, the one its user agent reports', (handler) => {
    const { meta, text } = bundleOf(handler);
    const folders = clientFolders(meta);
    // Every function records to DynamoDB: a bundle without the client has left the SDK out.
    expect(folders).toContain('node_modules/@aws-sdk/client-dynamodb');
    for (const folder of folders) {
      const name = folder.replace(/^node_modules\//, '');
      const locked = lock.packages[folder]?.version;
      expect([name, locked]).toEqual([name, expect.stringMatching(/^3\.\d+\.\d+$/)]);
      // The client's package.json, inlined by esbuild (its ES modules import it; its CommonJS build
      // carries an older version string), and read by the client's user-agent provider.
      const inlined = new RegExp(`([\\w$]+)=\\{name:"${name.replace('/', '\\/')}",version:"([^"]+)"`).exec(text);
      expect([name, inlined?.[2]]).toEqual([name, locked]);
      expect(text).toContain(`clientVersion:${inlined?.[1] ?? '?'}.version`);
    }
  });

  it('is what NodejsFunction bundles for a PipelineFunction from the checkout, byte for byte', () => {
    const handler: PipelineHandler = 'watch-reputation';
    const outdir = join(out, 'cdk.out');
    const app = new App({ outdir });
    new PipelineFunction(new Stack(app, 'Bundles'), 'Fn', {
      handler,
      description: 'bundle check',
      roleDescription: 'bundle check',
      memorySizeInMb: 256,
      timeout: Duration.seconds(30),
      environment: {},
      statements: [],
    });
    app.synth();
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    expect(readFileSync(join(outdir, assets[0] ?? '', 'index.js'), 'utf8')).toBe(bundleOf(handler).text);
  });
});
