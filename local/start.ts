/**
 * `npm start`: the whole pipeline on this machine, on real local services, replaying the
 * built-in scenario (or `--events FILE`, JSON lines of SES messages in any envelope), then a
 * summary read back from every store. Every child process is stopped on exit and on Ctrl-C.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_ENDPOINTS_FILE } from '../cli/local-endpoints.js';
import { LocalPipeline } from './pipeline.js';
import { SCENARIOS } from './scenario.js';
import { printSummary } from './summary.js';

const HELP = `Usage: npm start [-- --scenario NAME | --events FILE] [--time-compression N] [--keep-running]

Starts DynamoDB Local, fauxqs (SNS + SQS) and a local SESv2 endpoint, wires them like the stack,
runs the real process-feedback handler on the queue, replays SES feedback, and prints a summary.

  --scenario NAME         a built-in scenario: spring-sale (default: a campaign gone wrong beside a
                          healthy stream) or many-streams (24 configuration sets, one crosses its
                          critical bounce line and only it is paused)
  --events FILE           replay your own SES events: JSON lines, any envelope SES feedback comes in
  --time-compression N    local clock speed-up (default 60): durations / N, SES's rate x N
  --keep-running          after the summary, keep every service up for the operator commands
                          (npx ses-feedback status --local, suppression import/export/remove --local)
                          until Ctrl-C
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { scenario: { type: 'string' }, events: { type: 'string' }, 'time-compression': { type: 'string' }, 'keep-running': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const compression = Number(values['time-compression'] ?? 60);
  if (!(compression >= 1)) throw new Error(`--time-compression must be a number >= 1, got '${values['time-compression']}'`);
  const scenarioName = values.scenario ?? 'spring-sale';
  if (!(scenarioName in SCENARIOS)) throw new Error(`--scenario must be one of ${Object.keys(SCENARIOS).join(', ')}, got '${scenarioName}'`);
  const scenario = values.events ? userEvents(values.events) : SCENARIOS[scenarioName as keyof typeof SCENARIOS]();
  const logDir = join(process.cwd(), '.local', 'logs', `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);

  say(`Scenario: ${scenario.name} (${scenario.messages.length} SNS messages)`);
  say('Starting DynamoDB Local, fauxqs (SNS + SQS) and the local SESv2 endpoint ...');
  const started = Date.now();
  const managedConfigurationSets = 'managedConfigurationSets' in scenario ? scenario.managedConfigurationSets : undefined;
  const pipeline = await LocalPipeline.start({ timeCompression: compression, logDir, ...(managedConfigurationSets ? { managedConfigurationSets } : {}) });
  const stop = once(() => pipeline.stop());
  process.once('SIGTERM', () => void stop().finally(() => process.exit(143)));
  process.once('SIGINT', () => {
    say('\nInterrupted: stopping every service ...');
    void stop().finally(() => process.exit(130));
  });
  try {
    say(`Started in ${((Date.now() - started) / 1000).toFixed(1)} s. Handler logs: ${logDir}`);
    await pipeline.startWorker();
    const bar = progress(scenario.messages.length);
    const t0 = Date.now();
    await pipeline.publish(scenario.messages, (n) => bar('publishing', n));
    const publishSeconds = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    await pipeline.drain(10 * 60_000, (depth) => bar('processing', scenario.messages.length - depth.visible - depth.inFlight));
    bar.done();
    const ok = await printSummary(
      pipeline,
      {
        sends: 'sends' in scenario ? scenario.sends : undefined,
        expected: 'expected' in scenario ? scenario.expected : undefined,
        published: scenario.messages.length,
        publishSeconds,
        processSeconds: (Date.now() - t1) / 1000,
        logFile: join(logDir, 'process-feedback.log'),
        timeCompression: compression,
      },
      say,
    );
    if (values['keep-running']) {
      pipeline.writeEndpointsFile(LOCAL_ENDPOINTS_FILE);
      say('');
      say(`Still running (endpoints in ${LOCAL_ENDPOINTS_FILE}). Try: npx ses-feedback status --local. Ctrl-C stops every service.`);
      await new Promise<never>(() => undefined); // until SIGINT, whose handler stops everything
    }
    return ok ? 0 : 1;
  } finally {
    await stop();
    say(`All services stopped (${((Date.now() - started) / 1000).toFixed(1)} s in all).`);
  }
}

function userEvents(file: string): { name: string; messages: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new Error(`cannot read ${file}: ${why}`, { cause: error });
  }
  const messages = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (messages.length === 0) throw new Error(`${file} has no events (expected JSON lines)`);
  return { name: file, messages };
}

/** A progress bar on a terminal; a line per quarter otherwise (CI logs, pipes). */
function progress(total: number) {
  const tty = process.stdout.isTTY === true;
  let lastQuarter = -1;
  let lastPhase = '';
  const draw = (phase: string, done: number): void => {
    const fraction = Math.max(0, Math.min(1, done / total));
    if (tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stdout.write(`\r  ${phase.padEnd(10)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% (${Math.max(0, done)}/${total})`);
      return;
    }
    const quarter = Math.floor(fraction * 4);
    if (phase !== lastPhase || quarter > lastQuarter) {
      say(`  ${phase}: ${Math.round(fraction * 100)}% (${Math.max(0, done)}/${total})`);
      lastQuarter = phase !== lastPhase ? quarter : Math.max(quarter, lastQuarter);
      lastPhase = phase;
    }
  };
  return Object.assign(draw, { done: () => tty && process.stdout.write('\n') });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let promise: Promise<void> | undefined;
  return () => (promise ??= fn());
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
