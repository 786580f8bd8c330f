import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { cliBuildOptions } from '../../scripts/build-cli.js';

/*
 * What the operator CLI loads, read from esbuild's own account of `npm run build:cli`'s build (its
 * metafile: every input file of every output file, and how the outputs import each other), not
 * from our reading of the sources.
 */

/** Inputs (and the imports of inputs) that belong to the CDK: lib/, aws-cdk-lib, constructs. */
function cdkReach(meta: Metafile): string[] {
  const paths = Object.entries(meta.inputs).flatMap(([path, input]) => [path, ...input.imports.map((i) => i.path)]);
  return [...new Set(paths.filter((p) => /^lib\//.test(p) || /(^|\/)(aws-cdk-lib|constructs)(\/|$)/.test(p)))].sort();
}

/** The output built from `entryPoint` (a bundle entry, or a module the code imports dynamically). */
function outputOf(meta: Metafile, entryPoint: string): string {
  const found = Object.entries(meta.outputs).find(([, output]) => output.entryPoint === entryPoint);
  if (!found) throw new Error(`no output has the entry point ${entryPoint}`);
  return found[0];
}

/** Every input Node parses when it loads `output`: its own, and those of the chunks it imports statically. */
function loadedInputs(meta: Metafile, output: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of meta.outputs[file]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(output);
  return [...seen].flatMap((file) => Object.keys(meta.outputs[file]?.inputs ?? {}));
}

/** The AWS SDK client packages among some inputs (`client-sesv2`, ...). */
function sdkClients(inputs: string[]): string[] {
  return [...new Set(inputs.map((p) => /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(p)?.[1]).filter((c): c is string => c !== undefined))].sort();
}

describe('the operator CLI bundle', () => {
  let meta: Metafile;
  beforeAll(async () => {
    ({ metafile: meta } = await build({ ...cliBuildOptions(join(tmpdir(), 'ses-feedback-bundle-test')), write: false }));
  });

  it('reaches neither lib/ nor aws-cdk-lib from any of its files', () => {
    expect(Object.keys(meta.inputs)).toEqual(expect.arrayContaining(['bin/ses-feedback.ts', 'cli/main.ts', 'cli/status-command.ts', 'lambdas/shared/settings.ts']));
    expect(cdkReach(meta)).toEqual([]);
  });

  it('fails the same check on the CDK app, which does reach them', async () => {
    const { metafile: app } = await build({
      absWorkingDir: join(__dirname, '..', '..'),
      entryPoints: ['bin/app.ts'],
      bundle: true,
      platform: 'node',
      packages: 'external',
      write: false,
      outdir: join(tmpdir(), 'ses-feedback-app-test'),
      metafile: true,
      logLevel: 'silent',
    });
    expect(cdkReach(app)).toEqual(expect.arrayContaining(['aws-cdk-lib', 'lib/defaults.ts', 'lib/ses-feedback-pipeline.ts']));
  });

  it('starts without any AWS SDK: the entry holds the argument parsing and what the commands share', () => {
    const atStart = loadedInputs(meta, outputOf(meta, 'bin/ses-feedback.ts'));
    expect(atStart).toEqual(expect.arrayContaining(['cli/main.ts', 'cli/target.ts']));
    expect(atStart.filter((p) => /node_modules\/@(aws-sdk|smithy)\//.test(p))).toEqual([]);
    expect(atStart.filter((p) => /-command\.ts$|suppression-commands\.ts$/.test(p))).toEqual([]);
  });

  it.each([
    ['cli/classify-command.ts', []],
    ['cli/status-command.ts', ['client-cloudwatch', 'client-dynamodb', 'client-sesv2', 'client-sqs']],
    ['cli/suppression-commands.ts', ['client-dynamodb', 'client-sesv2', 'client-sqs']],
    ['cli/report-command.ts', ['client-cloudwatch', 'client-dynamodb']],
    ['cli/simulate-command.ts', ['client-dynamodb', 'client-sesv2']],
    ['cli/resume-command.ts', ['client-cloudwatch', 'client-dynamodb', 'client-sesv2', 'client-sqs']],
  ])('loads %s with exactly the SDK clients it uses: %j', (command, clients) => {
    const loaded = loadedInputs(meta, outputOf(meta, command));
    expect(loaded).toContain(command);
    expect(sdkClients(loaded)).toEqual(clients);
  });

  it('loads the CloudFormation client only to find a deployed stack', () => {
    const cloudformation = outputOf(meta, 'node_modules/@aws-sdk/client-cloudformation/dist-es/index.js');
    const loadedElsewhere = Object.entries(meta.outputs)
      .filter(([file, output]) => file !== cloudformation && output.entryPoint !== undefined && !output.entryPoint.includes('client-cloudformation'))
      .flatMap(([file]) => sdkClients(loadedInputs(meta, file)));
    expect(loadedElsewhere).not.toContain('client-cloudformation');
    const importers = Object.entries(meta.outputs).filter(([, output]) => output.imports.some((i) => i.path === cloudformation && i.kind === 'dynamic-import'));
    expect(importers.flatMap(([, output]) => Object.keys(output.inputs))).toContain('cli/target.ts');
  });
});
