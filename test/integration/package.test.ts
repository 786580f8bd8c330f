import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stagePackage } from '../../scripts/build-package.js';
import { SesFeedbackPipeline } from '../../lib/ses-feedback-pipeline.js';

/**
 * The npm package as a CDK user meets it: packed from the project, installed into a fresh CDK app
 * in JavaScript (no TypeScript, no esbuild in its node_modules) next to the app's own aws-cdk-lib
 * and constructs, synthesized from CommonJS and from an ES module, and its CLI run from
 * node_modules/.bin. The template must hold what a synth from the sources holds.
 */
jest.setTimeout(600_000);

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** The versions the app installs: the ones this project is built and tested with, inside the peer ranges. */
const CDK_LIB = `aws-cdk-lib@${pkg.devDependencies['aws-cdk-lib']}`;
const CONSTRUCTS = `constructs@${pkg.devDependencies.constructs}`;

/** The same stack, and props, in every consumer. */
const STACK = 'Consumer';
const APP_BODY = (imports: string) => `${imports}
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, '${STACK}', { env: { account: '111111111111', region: 'eu-west-1' } });
new SesFeedbackPipeline(stack, 'Feedback', { alertEmails: ['ops@example.com'], softBounceSuppressionPeriod: Duration.days(14) });
app.synth();
`;

let work: string;
let appDir: string;
let tarball: string;
let packedFiles: string[];

function run(command: string, args: string[], cwd: string): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${(result.stdout + result.stderr).slice(-2000)}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ses-feedback-package-'));
  // Built and packed in a staging copy, so the checkout's dist/ (other suites run its CLI) is left alone.
  const staging = join(work, 'staging');
  await stagePackage(staging);
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], staging).stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!packed) throw new Error('npm pack made no package');
  tarball = join(work, packed.filename);
  packedFiles = packed.files.map((f) => f.path);

  appDir = join(work, 'app');
  mkdirSync(appDir);
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true }));
  // From the npm registry (metadata), and npm's cache for the tarballs npm ci put there.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, CDK_LIB, CONSTRUCTS], appDir);
  writeFileSync(join(appDir, 'app.js'), APP_BODY(`const { App, Duration, Stack } = require('aws-cdk-lib');\nconst { SesFeedbackPipeline } = require('${pkg.name}');`));
  writeFileSync(join(appDir, 'app.mjs'), APP_BODY(`import { App, Duration, Stack } from 'aws-cdk-lib';\nimport { SesFeedbackPipeline } from '${pkg.name}';`));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Synthesizes the consumer's app, and returns its template and what it printed. */
function synth(entry: 'app.js' | 'app.mjs'): { template: Template; output: string; outdir: string } {
  const outdir = join(work, `cdk.out-${entry}`);
  const { stdout, stderr } = run(process.execPath, [entry, outdir], appDir);
  return { template: Template.fromJSON(JSON.parse(readFileSync(join(outdir, `${STACK}.template.json`), 'utf8'))), output: stdout + stderr, outdir };
}

/** What a synth from this project's sources (bundled by NodejsFunction, with cdk.json's flags) makes of the same stack, and its function bundles. */
let sources: { template: Template; bundles: string[] } | undefined;
function fromSources(): { template: Template; bundles: string[] } {
  if (sources) return sources;
  const outdir = join(work, 'cdk.out-sources');
  const { context } = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ outdir, context });
  const stack = new Stack(app, STACK, { env: { account: '111111111111', region: 'eu-west-1' } });
  new SesFeedbackPipeline(stack, 'Feedback', { alertEmails: ['ops@example.com'], softBounceSuppressionPeriod: Duration.days(14) });
  app.synth();
  sources = { template: Template.fromStack(stack), bundles: functionBundles(outdir) };
  return sources;
}

/** The index.js of every asset directory of a cloud assembly, sorted. */
function functionBundles(outdir: string): string[] {
  return readdirSync(outdir)
    .filter((d) => d.startsWith('asset.') && existsSync(join(outdir, d, 'index.js')))
    .map((d) => readFileSync(join(outdir, d, 'index.js'), 'utf8'))
    .sort();
}

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('the npm package', () => {
  it('holds the compiled construct with its types, the four prebuilt functions and the CLI, and nothing a consumer does not need', () => {
    for (const file of ['dist/construct/lib/index.js', 'dist/construct/lib/index.d.ts', 'dist/cli/ses-feedback.mjs', 'CHANGELOG.md', 'README.md', 'LICENSE']) expect(packedFiles).toContain(file);
    for (const handler of ['process-feedback', 'write-suppressions', 'watch-reputation', 'pause-sending']) {
      expect(packedFiles).toContain(`dist/construct/assets/${handler}/index.js`);
      // The source map the functions' NODE_OPTIONS=--enable-source-maps reads in Lambda.
      expect(packedFiles).toContain(`dist/construct/assets/${handler}/index.js.map`);
    }
    const unexpected = packedFiles.filter(
      (f) => !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(f) && !/^dist\/construct\/.+\.(js|d\.ts|js\.map)$/.test(f) && !/^dist\/cli\/.+\.mjs$/.test(f),
    );
    expect(unexpected).toEqual([]);
    expect(packedFiles.filter((f) => /(^|\/)(test|local|bench|fixtures)\//.test(f))).toEqual([]);
  });

  it('needs at run time nothing but its peer dependencies and Node', () => {
    const installed = join(appDir, 'node_modules', pkg.name, 'dist', 'construct');
    const required = new Set<string>();
    for (const file of filesUnder(installed).filter((f) => f.endsWith('.js') && !f.includes(`${join('construct', 'assets')}`))) {
      for (const [, name] of readFileSync(file, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) required.add(name?.split('/')[0] ?? '');
    }
    expect([...required].filter((name) => !name.startsWith('node:') && !(name in pkg.peerDependencies))).toEqual([]);
    expect(required).toContain('aws-cdk-lib');
  });

  it('installs into a JavaScript CDK app without esbuild, TypeScript or Docker-bundling anything', () => {
    expect(existsSync(join(appDir, 'node_modules', pkg.name, 'package.json'))).toBe(true);
    expect(existsSync(join(appDir, 'node_modules', 'esbuild'))).toBe(false);
    expect(existsSync(join(appDir, 'node_modules', 'typescript'))).toBe(false);
    // Its own aws-cdk-lib and constructs: one copy each, the app's.
    expect(existsSync(join(appDir, 'node_modules', pkg.name, 'node_modules'))).toBe(false);
  });

  it.each(['app.js', 'app.mjs'] as const)('synthesizes from %s: the four functions from their prebuilt bundles, every alarm and both configuration sets a synth from the sources makes', (entry) => {
    const { template, output, outdir } = synth(entry);
    expect(output).not.toMatch(/Bundling asset|esbuild|docker/i);
    const sources = fromSources();
    const count = (t: Template, type: string) => Object.keys(t.findResources(type)).length;
    for (const type of ['AWS::Lambda::Function', 'AWS::CloudWatch::Alarm', 'AWS::SES::ConfigurationSet', 'AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::Events::Rule']) {
      expect([type, count(template, type)]).toEqual([type, count(sources.template, type)]);
    }
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(4);
    for (const fn of functions) expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler', Architectures: ['arm64'] });
    // The two props took effect.
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { TEMPORARY_SUPPRESSION_SECONDS: String(14 * 86_400) } } });
    expect(Object.values(template.findResources('AWS::SES::ConfigurationSet')).map((s) => s.Properties.Name).sort()).toEqual([`${STACK}-marketing`, `${STACK}-transactional`]);
    // The assets are the packed bundles, byte for byte the ones NodejsFunction makes from the checkout.
    const packed = ['process-feedback', 'write-suppressions', 'watch-reputation', 'pause-sending'].map((h) => readFileSync(join(appDir, 'node_modules', pkg.name, 'dist', 'construct', 'assets', h, 'index.js'), 'utf8'));
    expect(functionBundles(outdir)).toEqual(packed.sort());
    expect(functionBundles(outdir)).toEqual(sources.bundles);
  });

  it('type-checks a TypeScript use of the construct against the packed declarations', () => {
    writeFileSync(
      join(appDir, 'check.ts'),
      `import { App, Stack } from 'aws-cdk-lib';\nimport { SesFeedbackPipeline, type SesFeedbackPipelineProps } from '${pkg.name}';\nconst props: SesFeedbackPipelineProps = { alertEmails: ['ops@example.com'] };\nconst pipeline = new SesFeedbackPipeline(new Stack(new App(), 'S'), 'F', props);\nexport const topic: string = pipeline.alertTopic.topicArn;\n`,
    );
    // This project's compiler, run in the app: the types resolve from the app's node_modules only.
    run(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'check.ts'], appDir);
  });

  it('runs the ses-feedback CLI from node_modules/.bin, under both its names, and every chunk of it loads', () => {
    const bounce = join(ROOT, 'test', 'fixtures', 'eventpub-bounce-permanent-general.json');
    for (const bin of ['ses-feedback', pkg.name]) {
      const { stdout } = run(join(appDir, 'node_modules', '.bin', bin), ['classify', bounce], appDir);
      expect(JSON.parse(stdout.trim().split('\n')[0] ?? '')).toMatchObject({ action: 'suppress', reason: 'BOUNCE' });
    }
    // The chunks each command loads on demand (the entry itself runs the CLI when imported).
    const chunks = filesUnder(join(appDir, 'node_modules', pkg.name, 'dist', 'cli', 'chunks')).filter((f) => f.endsWith('.mjs'));
    expect(chunks.length).toBeGreaterThan(5);
    const loaded = run(process.execPath, ['--input-type=module', '-e', `for (const f of ${JSON.stringify(chunks)}) await import(f); console.log('loaded');`], appDir);
    expect(loaded.stdout.trim()).toBe('loaded');
  });
});
