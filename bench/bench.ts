/**
 * `npm run bench [-- --quick]`: what one feedback event costs, against the floor of the work and
 * against the naive baseline, in one run: CPU per event, cold start, AWS calls per 1,000 events and
 * dollars per million events. Each figure is printed with its target; the run fails (exit 1) when a
 * figure is past its guard: the issue's target where it is met, or the recorded figure plus a
 * margin where the target is out of reach (README, "What an event costs", says why).
 *
 * It also measures the operator CLI: its bundle size, and `ses-feedback classify`'s start next to a
 * bare `node -e 0` (bench/cli-start.ts, which runs alone too).
 *
 * The full run also times `npm run test:scale` (50,000 hard bounces in real time, ~4 minutes): the
 * 3-minute target lives here, not in CI, which gates that run on correctness only.
 *
 * A section with a figure past its guard is measured again (at most 3 times in all) before it
 * fails the run: see {@link section}.
 *
 * --quick (for CI, under a minute): 20,000 CPU records, 5 cold starts each, the scenario's first 600
 * messages, 10 CLI starts, no scale run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { pauseSendingEnvironment, processFeedbackEnvironment, reputationWatcherEnvironment, suppressionWriterEnvironment } from '../lambdas/shared/contract.js';
import { DEFAULT_SETTINGS, defaultProcessFeedbackSettings, defaultSuppressionWriterSettings } from '../lambdas/shared/settings.js';
import { localGuardrailSettings } from '../local/reputation-alarms.js';
import { builtInScenario } from '../local/scenario.js';
import { measureNaiveCalls, measurePipelineCalls, type PipelineCalls, type NaiveCalls } from './calls.js';
import { BENCH_CLI_DIR, measureCli } from './cli-start.js';
import { bundle, measureStarts, type Bundle } from './cold-start.js';
import { naiveCost, pipelineCost, type CostLine } from './cost.js';
import type { CpuFigures } from './cpu.js';
import { PRICES } from './prices.js';
import { stagePackage } from '../scripts/build-package.js';
import type { PipelineHandler } from '../lib/pipeline-function.js';

interface Figure {
  readonly name: string;
  readonly value: string;
  readonly target: string;
  /** True when the figure meets the issue's target. */
  readonly met: boolean;
  /** False when the figure regressed past its guard: fails the run. */
  readonly guarded: boolean;
  /** False for a figure that is the same on every run (a size): measuring it again cannot change it. */
  readonly varies: boolean;
}

const figures: Figure[] = [];
const figure = (name: string, value: string, target: string, met: boolean, guarded = met, varies = true): void => {
  figures.push({ name, value, target, met, guarded, varies });
  console.log(`  ${name.padEnd(46)} ${value.padEnd(34)} target ${target.padEnd(20)} ${met ? 'met' : guarded ? 'NOT MET (known, see README)' : 'REGRESSED'}`);
};

/** Sections measured more than once because a figure was past its guard: the figures of each attempt set aside. */
const measuredAgain: Array<{ section: string; attempt: number; figures: Figure[] }> = [];

/**
 * Runs one section of the bench. A section with a figure past its guard is measured again, up to
 * {@link MEASUREMENTS} times in all, and only its last measurement counts: a regression in the code
 * repeats every time, a slow phase of a shared 2-core machine does not (the SES-call count too
 * depends on how fast the local import jobs run). Every repeat is printed and kept in the results.
 */
async function section(name: string, measure: () => void | Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const from = figures.length;
    await measure();
    const regressed = figures.slice(from).filter((f) => !f.guarded);
    // A size past its guard stays past it: no second measurement.
    if (regressed.length === 0 || attempt === MEASUREMENTS || regressed.some((f) => !f.varies)) return;
    measuredAgain.push({ section: name, attempt, figures: figures.slice(from) });
    console.log(`  (${regressed.map((f) => `${f.name} ${f.value}`).join(', ')} past the guard: measuring ${name} again, ${attempt + 1} of ${MEASUREMENTS}; a regression repeats, a slow phase does not)`);
    figures.splice(from);
  }
}

/** Measurements of a section before a figure past its guard fails the run. */
const MEASUREMENTS = 3;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } } });
  const quick = values.quick === true;
  const started = Date.now();
  console.log(`bench${quick ? ' --quick' : ''}: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`);

  // 1. CPU per event
  let cpu: CpuFigures | undefined;
  await section('CPU per event', () => {
    cpu = measureCpuBundled(quick ? 20_000 : 100_000, 5);
    const cpuRatio = cpu.pipelineMicros / cpu.floorMicros;
    console.log(`\n1. CPU per event (${cpu.records.toLocaleString('en-US')} SQS records, SNS envelope inside, both SES formats; best of 5 rounds)`);
    console.log(`  floor (2 x JSON.parse per record): ${cpu.floorMicros.toFixed(1)} us; read + validate + classify + decide: ${cpu.pipelineMicros.toFixed(1)} us`);
    figure('CPU per event vs 2 x JSON.parse', `${cpuRatio.toFixed(2)}x`, '<= 2.5x', cpuRatio <= 2.5);
  });

  // 2. Cold start
  const functions = Object.keys(BUNDLE_TARGETS_KB) as PipelineHandler[];
  const bundles: Bundle[] = ['empty', 'sdk-floor', ...functions, 'naive'];
  const built = Object.fromEntries(bundles.map((b) => [b, bundle(b)])) as Record<Bundle, { file: string; bytes: number }>;
  let starts: ReturnType<typeof measureStarts> = {};
  await section('cold start', () => {
    starts = measureStarts(
      Object.fromEntries(bundles.map((b) => [b, built[b].file])),
      quick ? 5 : 15,
      HANDLER_ENV,
    );
    console.log(`\n2. Cold start (fresh Node process to handler ready, median of ${quick ? 5 : 15}; bundles as deployed: esbuild, minified, SDK bundled)`);
    for (const b of bundles) {
      console.log(`  ${b.padEnd(20)} ${(built[b].bytes / 1024).toFixed(1).padStart(7)} KB   ready ${starts[b]?.readyMs.toFixed(0)} ms (module init ${starts[b]?.initMs.toFixed(0)} ms)`);
    }
    for (const fn of functions) {
      const kb = built[fn].bytes / 1024;
      figure(`${fn} bundle (SDK bundled)`, `${kb.toFixed(1)} KB`, `<= ${BUNDLE_TARGETS_KB[fn]} KB`, kb <= BUNDLE_TARGETS_KB[fn], kb <= BUNDLE_TARGETS_KB[fn], false);
    }
    const ready = (b: Bundle): number => starts[b]?.readyMs ?? NaN;
    const vsEmpty = ready('process-feedback') / ready('empty');
    const vsFloor = ready('process-feedback') / ready('sdk-floor');
    figure('start vs empty handler', `${vsEmpty.toFixed(2)}x`, '<= 1.5x', vsEmpty <= 1.5, vsFloor <= GUARDS.startVsSdkFloor);
    figure('start vs SDK floor (DynamoDB + SQS clients)', `${vsFloor.toFixed(2)}x`, `<= ${GUARDS.startVsSdkFloor}x (guard)`, vsFloor <= GUARDS.startVsSdkFloor);
    console.log(`  (the SDK floor alone starts in ${(ready('sdk-floor') / ready('empty')).toFixed(2)}x the empty handler's time; naive baseline ${(ready('naive') / ready('empty')).toFixed(2)}x)`);
  });

  // 3. AWS calls per 1,000 events, 4. dollars per million events, and 5. the naive baseline beside them
  const scenario = builtInScenario();
  const messages = quick ? scenario.messages.slice(0, 600) : scenario.messages;
  const logDir = join('.local', 'bench', 'logs');
  let calls: PipelineCalls | undefined;
  let naive: NaiveCalls | undefined;
  let cost: { pipeline: ReturnType<typeof pipelineCost>; naive: ReturnType<typeof naiveCost> } | undefined;
  await section('AWS calls', async () => {
    // Clock x10, the figures' reference since they were first measured (npm start runs x60, with
    // local timeouts of at least 10 s: see docs/local-pipeline.md).
    const measured = await measurePipelineCalls(messages, TIME_COMPRESSION, logDir);
    const baseline = await measureNaiveCalls(messages, built.naive.file);
    calls = measured;
    naive = baseline;
    printCalls(measured, baseline);
    const per1000 = (n: number): number => (n * 1000) / measured.messages;
    const itemsRatio = measured.reading.dynamodb.itemsWritten / measured.newEvents;
    figure('DynamoDB items written vs 1 per new event', `${itemsRatio.toFixed(2)}x (${per1000(measured.reading.dynamodb.itemsWritten).toFixed(0)} vs ${per1000(measured.newEvents).toFixed(0)} /1000)`, '<= 1.2x', itemsRatio <= 1.2, itemsRatio <= GUARDS.dynamodbItemsRatio);
    const sesRatio = measured.ses.calls / measured.ses.minimum;
    figure('SES calls vs minimum', `${sesRatio.toFixed(2)}x (${measured.ses.calls} vs ${measured.ses.minimum})`, '= 1.00x', measured.ses.calls === measured.ses.minimum, sesRatio <= GUARDS.sesRatio);

    const ours = pipelineCost(measured);
    const theirs = naiveCost(baseline);
    cost = { pipeline: ours, naive: theirs };
    console.log(`\n4-5. Dollars per million feedback events (AWS on-demand, ${PRICES.region}, prices of ${PRICES.asOf}; per-event costs only)`);
    console.log(`  ${'line'.padEnd(24)} ${'pipeline'.padStart(10)} ${'naive'.padStart(10)}`);
    for (const line of Object.keys(ours).filter((k) => k !== 'total') as CostLine[]) {
      console.log(`  ${line.padEnd(24)} ${usd(ours[line]).padStart(10)} ${usd(theirs[line]).padStart(10)}`);
    }
    console.log(`  ${'total'.padEnd(24)} ${usd(ours.total).padStart(10)} ${usd(theirs.total).padStart(10)}   (naive / pipeline ${(theirs.total / ours.total).toFixed(2)}x)`);
    const withoutSns = ours.total - ours['SNS publish (by SES)'];
    figure('dollars per million events', usd(ours.total), '< $1.00', ours.total < 1, ours.total <= GUARDS.dollarsPerMillion);
    console.log(`  (without SES's SNS publish, which any pipeline pays: ${usd(withoutSns)})`);
  });

  // 6. Wall time of the 50,000-address burst (full run only; minutes long, so measured once)
  const scale = quick ? undefined : measureScale();
  if (scale) {
    console.log(`\n6. ${scale.total.toLocaleString('en-US')} newly hard-bounced addresses at once, real time (npm run test:scale): ${scale.correct ? 'all suppressed and announced' : 'NOT CORRECT'}, ${scale.calls} SES calls`);
    figure(`${scale.total.toLocaleString('en-US')} addresses on the suppression list`, `${scale.seconds.toFixed(1)} s`, `<= ${SCALE_TARGET_S} s`, scale.correct && scale.seconds <= SCALE_TARGET_S, scale.correct && scale.seconds <= GUARDS.scaleSeconds);
  }

  // 7. The operator CLI
  let cli: Awaited<ReturnType<typeof measureCli>> | undefined;
  await section('the operator CLI', async () => {
    const measured = await measureCli(BENCH_CLI_DIR, quick ? 10 : 30);
    cli = measured;
    const cliRatio = measured.classifyMs / measured.nodeMs;
    const cliKb = measured.bundleBytes / 1024;
    console.log(`\n7. Operator CLI (npm run build:cli; fresh processes, alternating, median of ${measured.runs} each)`);
    console.log(`  ses-feedback classify <one SES event> ${measured.classifyMs.toFixed(0)} ms, node -e 0 ${measured.nodeMs.toFixed(0)} ms; entry ${(measured.entryBytes / 1024).toFixed(1)} KB`);
    figure('CLI classify start vs node -e 0', `${cliRatio.toFixed(2)}x (${measured.classifyMs.toFixed(0)} vs ${measured.nodeMs.toFixed(0)} ms)`, `<= ${CLI_START_TARGET}x`, cliRatio <= CLI_START_TARGET);
    figure('CLI bundle size (entry + chunks, no maps)', `${cliKb.toFixed(0)} KB`, `<= ${CLI_BUNDLE_TARGET_KB} KB`, cliKb <= CLI_BUNDLE_TARGET_KB, cliKb <= CLI_BUNDLE_TARGET_KB, false);
  });

  // 8. The npm package
  const pack = await measurePackage();
  const packedKb = pack.size / 1024;
  console.log(`\n8. npm package (npm run build:package, then npm pack, in a staging copy): ${pack.entryCount} files, ${(pack.unpackedSize / 1024).toFixed(0)} KB unpacked`);
  figure('npm package size (packed)', `${packedKb.toFixed(0)} KB`, `<= ${PACKAGE_TARGET_KB} KB`, packedKb <= PACKAGE_TARGET_KB);

  const out = join('.local', 'bench', quick ? 'results-quick.json' : 'results.json');
  mkdirSync(join('.local', 'bench'), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), quick, cpu, bundles: built, starts, calls, naive, cost, scale, cli, pack, figures, measuredAgain }, null, 2));
  const regressed = figures.filter((f) => !f.guarded);
  const again = [...new Set(measuredAgain.map((m) => m.section))];
  const remeasured = again.length === 0 ? '' : `; measured again: ${again.join(', ')} (each attempt in the results)`;
  console.log(`\nbench: ${figures.filter((f) => f.met).length}/${figures.length} targets met; ${regressed.length} regressed${remeasured}; ${((Date.now() - started) / 1000).toFixed(0)} s; details in ${out}`);
  return regressed.length === 0 ? 0 : 1;
}

/**
 * Where a target of the issue is out of reach, the run still fails if the figure gets worse than
 * this (the figure measured when the bench was written, plus a margin for machine noise).
 */
const TIME_COMPRESSION = 10;

/** 50,000 addresses on the list within 3 minutes of the burst. */
const SCALE_TARGET_S = 180;

/** `ses-feedback classify` starts within 4x a bare Node process. */
const CLI_START_TARGET = 4;
/**
 * The whole CLI, every command and the SDK clients they use, minified: 0.86 MB when set. A bundle
 * that reached aws-cdk-lib (tens of MB) or lost its minification would pass 1 MB at once.
 */
const CLI_BUNDLE_TARGET_KB = 1024;
/**
 * What `npm install` downloads: the four function bundles, each with the SDK clients it uses, and
 * their source maps (which Lambda needs for readable stack traces), the CLI and the compiled
 * construct, 1.7 MB when set. The construct's own size next to aws-cdk-lib's (tens of MB) is noise;
 * the target catches a bundle that stopped being minified or lost the SDK's tree-shaking, or tests,
 * fixtures or sources slipping into `files`.
 */
const PACKAGE_TARGET_KB = 2048;

/**
 * Each function's bundle, minified with the SDK clients it uses inside (their ES modules,
 * tree-shaken), about a fifth above its size when set: 460, 708, 475 and 488 KB. The SDK's
 * CommonJS builds (no tree-shaking) make them 667, 1,041, 780 and 788 KB; a lost minification or a
 * stray client more.
 */
const BUNDLE_TARGETS_KB: Record<PipelineHandler, number> = {
  'process-feedback': 550,
  'write-suppressions': 850,
  'watch-reputation': 575,
  'pause-sending': 600,
};

const GUARDS = {
  /**
   * Measured 1.06-1.41x in runs of 5 starts (1.14-1.33x in runs of 15): both sides bundle the SDK,
   * whose tree-shaken ES modules load faster than its files from node_modules, so Powertools, zod/mini
   * and our code weigh more in the ratio. The SDK's CommonJS builds bundled measured 1.49-2.08x.
   */
  startVsSdkFloor: 1.5,
  /** The target plus a third: the same code took 133-172 s here, depending on the machine's phase. */
  scaleSeconds: 240,
  dynamodbItemsRatio: 2.2,
  sesRatio: 1.25,
  dollarsPerMillion: 6,
} as const;

/** What the functions read at start-up, with the stack's settings (values never used: nothing is called). */
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/000000000000';
const BENCH_RESOURCES = {
  tableName: 'ses-feedback',
  deadLetterQueueUrl: `${QUEUE}/dlq`,
  suppressionQueueUrl: `${QUEUE}/suppressions`,
  importBucketName: 'imports',
  eventBusName: 'default',
};
const ALERT_TOPIC = 'arn:aws:sns:us-east-1:000000000000:alerts';
const HANDLER_ENV: Record<string, string> = {
  ...processFeedbackEnvironment(defaultProcessFeedbackSettings(BENCH_RESOURCES)),
  ...suppressionWriterEnvironment(defaultSuppressionWriterSettings(BENCH_RESOURCES)),
  ...reputationWatcherEnvironment({ tableName: BENCH_RESOURCES.tableName, alertTopicArn: ALERT_TOPIC, snapshotRetentionInDays: DEFAULT_SETTINGS.eventRetentionInDays }),
  ...pauseSendingEnvironment({
    tableName: BENCH_RESOURCES.tableName,
    alertTopicArn: ALERT_TOPIC,
    eventBusName: BENCH_RESOURCES.eventBusName,
    retentionInDays: DEFAULT_SETTINGS.eventRetentionInDays,
    settingsJson: JSON.stringify(localGuardrailSettings()),
  }),
};

function printCalls(calls: PipelineCalls, naive: NaiveCalls): void {
  const per1000 = (n: number, of = calls.messages): string => ((n * 1000) / of).toFixed(1);
  const d = calls.reading.dynamodb;
  const ops = (service: keyof PipelineCalls['reading']['services'], reading = calls.reading): string =>
    Object.entries(reading.services[service].operations)
      .map(([op, n]) => `${op} ${per1000(n, service === 'dynamodb' && reading === naive.reading ? naive.messages : calls.messages)}`)
      .join(', ') || 'none';
  const inv = calls.invocations;
  console.log(`\n3. AWS calls per 1,000 events (${calls.messages} SNS messages of the built-in scenario, ${calls.newEvents} distinct events; local pipeline, clock x${TIME_COMPRESSION}, ${calls.seconds.toFixed(0)} s, ${calls.restarts} sandboxes ended)`);
  console.log(`  DynamoDB requests: ${ops('dynamodb')}`);
  console.log(`  DynamoDB items written ${per1000(d.itemsWritten)} (minimum ${per1000(calls.newEvents)}), refused as duplicates ${per1000(d.refusedWrites)}; items read ${per1000(d.itemsRead)}`);
  console.log(`  DynamoDB capacity: ${per1000(d.writeUnits)} write units (${per1000(d.indexWriteUnits)} of them for the time index), ${per1000(d.readUnits)} read units`);
  console.log(`  SES: ${ops('sesv2')} (minimum ${per1000(calls.ses.minimum)}: ${calls.ses.importJobs} import jobs, ${calls.ses.suppressed} addresses suppressed)`);
  console.log(`  SQS (functions): ${ops('sqs')}; ${calls.reading.sqs.emptyReceives} empty receives (idle polling)`);
  console.log(`  S3: ${ops('s3')}; EventBridge: ${ops('eventbridge')} (${per1000(calls.eventsPublished)} Address Suppressed events); CloudWatch API 0 (metrics go out as EMF log lines)`);
  console.log(
    `  Lambda invocations: process-feedback ${per1000(inv['process-feedback'].invocations)}, write-suppressions ${per1000(inv['write-suppressions'].invocations)}; ` +
      `log bytes per event ${(Object.values(calls.logBytes).reduce((a, b) => a + b, 0) / calls.messages).toFixed(0)}`,
  );
  const nd = naive.reading.dynamodb;
  console.log(
    `  naive baseline: ${per1000(naive.invocations, naive.messages)} invocations, DynamoDB ${ops('dynamodb', naive.reading)} ` +
      `(${per1000(nd.writeUnits, naive.messages)} write units), SES ${ops('sesv2', naive.reading)}`,
  );
}

/** The CPU measurement, bundled and minified like the functions, in a fresh Node process. */
function measureCpuBundled(records: number, rounds: number): CpuFigures {
  const { file } = bundle('cpu-run');
  const result = spawnSync(process.execPath, [file, String(records), String(rounds)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`the CPU measurement failed: ${result.stderr.trim().split('\n').pop() ?? ''}`);
  return JSON.parse(result.stdout) as CpuFigures;
}

interface ScaleResult {
  readonly total: number;
  readonly seconds: number;
  readonly calls: number;
  readonly correct: boolean;
}

/** Runs `local/scale.ts` in its own process (as `npm run test:scale` does) and reads its result. */
function measureScale(): ScaleResult {
  const file = join('.local', 'bench', 'scale.json');
  rmSync(file, { force: true });
  const run = spawnSync(process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), join('local', 'scale.ts'), '--result', file], { stdio: 'inherit' });
  if (!existsSync(file)) throw new Error(`the scale run wrote no result (exit ${run.status ?? run.signal})`);
  return JSON.parse(readFileSync(file, 'utf8')) as ScaleResult;
}

function usd(value: number): string {
  return `$${value.toFixed(value < 0.1 ? 4 : 3)}`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

/** Builds the package in a staging copy (the checkout's dist/ stays as it is) and asks npm what it would pack. */
async function measurePackage(): Promise<{ size: number; unpackedSize: number; entryCount: number }> {
  const staging = join('.local', 'bench', 'package');
  await stagePackage(staging);
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: staging, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm pack failed: ${result.stderr.slice(-500)}`);
  const [packed] = JSON.parse(result.stdout) as Array<{ size: number; unpackedSize: number; entryCount: number }>;
  if (!packed) throw new Error('npm pack reported no package');
  return { size: packed.size, unpackedSize: packed.unpackedSize, entryCount: packed.entryCount };
}
