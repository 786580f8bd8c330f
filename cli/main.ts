import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { addressProblem, redactAddresses } from '../lambdas/shared/address.js';
import type { SuppressionReason } from '../lambdas/shared/suppression.js';
import { LOCAL_ENDPOINTS_FILE } from './local-endpoints.js';
import type { CommandOutput } from './suppression-commands.js';
import { CliError, describeError, resolveTarget, type Target } from './target.js';
import { DEFAULT_STACK_NAME } from '../lambdas/shared/contract.js';

// Each command's module (and the AWS SDK clients it uses) is imported when that command runs, so
// the CLI starts by parsing only this file and what every command shares.

/** Where the CLI reads and writes; injected so tests run it in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => string;
  readonly readFile: (path: string) => string;
  /** @default fs.writeFileSync */
  readonly writeFile?: (path: string, text: string) => void;
  /** Environment (AWS_REGION, AWS_PROFILE, SES_FEEDBACK_LOCAL ...). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress redraws one line) or a log (a line per 10 %). */
  readonly stderrIsTTY?: boolean;
}

export const EXIT = { ok: 0, unreadableInput: 1, usage: 2, failed: 1 } as const;

const USAGE = `Usage: ses-feedback <command> [options]

Commands:
  classify <file|->              What the pipeline would do with an SES message, offline.
                                 Reads one JSON document (bare SES message, SNS envelope, SNS->SQS
                                 body, Lambda SQS or SNS event) or JSON lines; prints one JSON
                                 object per decision.
  suppression import <file>      Put every address of a CSV (address[,reason]) or JSON-lines
                                 ({"emailAddress","reason"}) file on the SES account-level
                                 suppression list: invalid rows reported by line number first,
                                 import jobs of up to 100,000 addresses, a progress line, and safe
                                 to run again after an interruption (it resumes).
  suppression export             Every suppressed address as CSV on standard output, with
                                 temporary_until for an address whose soft bounces escalated: the
                                 pipeline takes it off the list then (softBounceSuppressionPeriod,
                                 30 days by default) unless it hard bounced or complained since.
  suppression remove <address>   Take one address off the list (it works again), recorded in the
                                 audit trail; the pipeline suppresses it again on a new hard bounce.
  report                         The evidence an appeal to AWS needs, from the audit trail: feedback
                                 per day with the reputation rates, the campaigns, configuration
                                 sets and domains that drove it, what was suppressed, the alarms
                                 and the enforcement status history. Markdown (paste into the
                                 support case) or one self-contained HTML file with charts.
  simulate --from ADDRESS        After a deploy: one message through each configuration set to each
                                 SES mailbox simulator address (success, bounce, complaint,
                                 suppressionlist, ooto), then waits until the audit trail shows the
                                 pipeline's decision for each; a pass/fail table, exit 1 on a miss.
  status                         SES enforcement status, sending, suppression settings, reputation
                                 rates against the alarm thresholds, alarm states, dead letters,
                                 events of the last 24 h, configuration sets paused by the guardrail.
  dead-letters redrive           Move the dead letters back to the queue each came from (SQS's
                                 message move task), once their cause is fixed; waits until done.
  resume <set> --note TEXT       Turn sending back on for a configuration set the guardrail paused,
                                 on probation, recorded in the audit trail with who and why. Refused
                                 while addresses still wait for the writer or in a dead-letter
                                 queue, unless --force. On probation, its rates since the resume
                                 judge it: new mail as bad as the old pauses it again.

Target (every command but classify):
  --stack NAME        The deployed stack, found through its CloudFormation outputs (default ${DEFAULT_STACK_NAME}).
  --region REGION     Its region (default: AWS_REGION / your profile's).
  --local             The local pipeline started by 'npm start -- --keep-running' (${LOCAL_ENDPOINTS_FILE});
                      or set SES_FEEDBACK_LOCAL=<endpoints file>.

Options:
  --reason R          import: BOUNCE or COMPLAINT for rows without one. export: only this reason.
  --since DATE        export: only addresses added since DATE (ISO 8601, e.g. 2026-11-01).
                      report: from DATE (default: 30 days before --until).
  --until DATE        report: up to DATE, inclusive when a day (default: now).
  --format F          report: md (default) or html.
  --out FILE          report: write to FILE instead of standard output.
  --from ADDRESS      simulate: the verified sender identity (address, or any address of a verified domain).
  --timeout SECONDS   simulate: how long to wait for the feedback (default 300); import, remove:
                      how long to wait for the writer (default 3600).
  --show-addresses    report: list the suppressed addresses (left out by default: the report
                      is meant to be shared).
  --note TEXT         remove, resume: why, kept in the audit trail.
  --force             resume: even while addresses still wait for the writer or as dead letters
                      (the set still sends on probation).
  --json              status: print JSON instead of a table.
  --queue Q           dead-letters redrive: only feedback or suppressions (default: both).
  --rate N            dead-letters redrive: at most N messages a second (SQS allows up to 500).
  --poll-seconds N    import, remove: seconds between looks at the writer's progress (default 5).
  -h, --help          Show this help.

Examples:
  npx ses-feedback classify bounce.json
  aws sqs receive-message --queue-url "$DLQ" --query 'Messages[0].Body' --output text | npx ses-feedback classify -
  npx ses-feedback suppression import old-bounces.csv --reason BOUNCE --stack SesFeedbackPipeline
  npx ses-feedback suppression export --since 2026-11-01 --reason COMPLAINT > complaints.csv
  npx ses-feedback suppression remove jane@example.com --note "ticket 4711: mailbox restored"
  npx ses-feedback status --json
  npx ses-feedback dead-letters redrive --queue feedback
  npx ses-feedback status --local
  npx ses-feedback report --since 2026-11-01 --format html --out appeal.html
  npx ses-feedback report --local --since 2026-11-20
  npx ses-feedback simulate --from noreply@example.com --stack SesFeedbackPipeline

Exit status: 0 on success; 1 when something failed or some input could not be read or imported
(invalid rows, rows SES refused); 2 on a usage error. Errors are one line on standard error.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  local: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  reason: { type: 'string' },
  since: { type: 'string' },
  note: { type: 'string' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  'poll-seconds': { type: 'string' },
  until: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'show-addresses': { type: 'boolean' },
  from: { type: 'string' },
  timeout: { type: 'string' },
  queue: { type: 'string' },
  rate: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>>['values'];

export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    io.stderr(`ses-feedback: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === 'help') {
    (command === undefined && !parsed.values.help ? io.stderr : io.stdout)(USAGE);
    return command === undefined && !parsed.values.help ? EXIT.usage : EXIT.ok;
  }
  switch (command) {
    case 'classify':
      return classify(rest, io);
    case 'suppression':
    case 'status':
      return operate(command, rest, parsed.values, io);
    case 'report':
      return report(rest, parsed.values, io);
    case 'simulate':
      return simulateCommand(rest, parsed.values, io);
    case 'resume':
      return resumeCommand(rest, parsed.values, io);
    case 'dead-letters':
      return deadLettersCommand(rest, parsed.values, io);
    default:
      io.stderr(`ses-feedback: unknown command '${command}' (try --help)\n`);
      return EXIT.usage;
  }
}

/** The commands that act on a deployed stack or the local pipeline. */
async function operate(command: 'suppression' | 'status', args: string[], values: Values, io: CliIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr(`ses-feedback ${command}: ${message} (try --help)\n`);
    return EXIT.usage;
  };
  const sub = command === 'status' ? 'status' : args[0];
  const operands = command === 'status' ? args : args.slice(1);
  const given = values.reason?.toUpperCase();
  if (given !== undefined && given !== 'BOUNCE' && given !== 'COMPLAINT') return usage(`--reason must be BOUNCE or COMPLAINT, got '${values.reason}'`);
  const reason: SuppressionReason | undefined = given;
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime())) return usage(`--since must be a date (ISO 8601, e.g. 2026-11-01), got '${values.since}'`);
  const pollSeconds = Number(values['poll-seconds'] ?? 5);
  if (!(pollSeconds > 0)) return usage(`--poll-seconds must be a number above 0, got '${values['poll-seconds']}'`);
  const timeoutSeconds = Number(values.timeout ?? 3600);
  if (!(timeoutSeconds > 0)) return usage(`--timeout must be a number of seconds above 0, got '${values.timeout}'`);
  const expected: Record<string, number> = { status: 0, import: 1, export: 0, remove: 1 };
  if (sub === undefined || !(sub in expected)) return usage(`unknown subcommand '${sub ?? ''}': use import, export or remove`);
  if (operands.length !== expected[sub]) return usage(sub === 'import' ? 'give one file' : sub === 'remove' ? 'give one address' : 'takes no arguments');

  let text = '';
  if (sub === 'import') {
    try {
      text = io.readFile(operands[0] as string);
    } catch (error) {
      io.stderr(`ses-feedback: cannot read ${operands[0]}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}\n`);
      return EXIT.unreadableInput;
    }
  }
  const output = commandOutput(io);
  return withTarget(values, io, output, async (target) => {
    switch (sub) {
      case 'status': {
        const { formatStatus, readStatus } = await import('./status-command.js');
        const status = await readStatus(target);
        io.stdout(values.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
        return EXIT.ok;
      }
      case 'import': {
        const { importSuppressions } = await import('./suppression-commands.js');
        const summary = await importSuppressions(target, text, reason, { pollSeconds, timeoutSeconds }, output);
        output.done();
        io.stderr(
          `imported ${summary.imported} addresses through the writer; ${summary.invalid} invalid rows, ${summary.refused} refused by SES\n`,
        );
        return summary.invalid + summary.refused > 0 ? EXIT.failed : EXIT.ok;
      }
      case 'export': {
        const { exportSuppressions } = await import('./suppression-commands.js');
        const count = await exportSuppressions(target, { since, reason }, output);
        output.done();
        io.stderr(`exported ${count} addresses\n`);
        return EXIT.ok;
      }
      default: {
        const { removeSuppression } = await import('./suppression-commands.js');
        const outcome = await removeSuppression(target, operands[0] as string, values.note, { pollSeconds, timeoutSeconds });
        io.stderr(outcome === 'removed' ? 'removed from the suppression list; recorded in the audit trail\n' : 'not on the suppression list; nothing to remove\n');
        return EXIT.ok;
      }
    }
  });
}

/**
 * Runs a command on its target (deployed stack or local pipeline): finds it, always releases its
 * clients, and turns any error into the one line the operator reads, with exit 1.
 */
async function withTarget(values: Values, io: CliIo, output: { done(): void }, command: (target: Target) => Promise<number>): Promise<number> {
  let target: Target | undefined;
  try {
    target = await resolveTarget({ local: values.local, stack: values.stack, region: values.region }, io.env ?? process.env);
    return await command(target);
  } catch (error) {
    output.done();
    io.stderr(`ses-feedback: ${redactAddresses(describeError(error))}\n`);
    return EXIT.failed;
  } finally {
    target?.destroy();
  }
}

/** A date option: ISO 8601; a bare day means its start (`from`) or its end (`until`). */
function parseDate(text: string, end: 'start' | 'end'): Date | undefined {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const date = new Date(day ? `${text}T${end === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

async function report(args: string[], values: Values, io: CliIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr(`ses-feedback report: ${message} (try --help)\n`);
    return EXIT.usage;
  };
  if (args.length > 0) return usage('takes no arguments');
  const until = values.until === undefined ? new Date() : parseDate(values.until, 'end');
  if (!until) return usage(`--until must be a date (ISO 8601, e.g. 2026-11-30), got '${values.until}'`);
  const from = values.since === undefined ? new Date(until.getTime() - 30 * 86_400_000) : parseDate(values.since, 'start');
  if (!from) return usage(`--since must be a date (ISO 8601, e.g. 2026-11-01), got '${values.since}'`);
  if (from > until) return usage('--since is after --until');
  if (until.getTime() - from.getTime() > 400 * 86_400_000) return usage('the range is longer than 400 days (the audit trail keeps a year by default)');
  const format = values.format ?? 'md';
  if (format !== 'md' && format !== 'html') return usage(`--format must be md or html, got '${format}'`);
  return withTarget(values, io, { done: () => undefined }, async (target) => {
    const { readAppealReport, renderReport } = await import('./report-command.js');
    const appeal = await readAppealReport(target, { from, until, showAddresses: values['show-addresses'] ?? false });
    const text = renderReport(appeal, format);
    if (values.out) {
      (io.writeFile ?? writeFileSync)(values.out, text);
      io.stderr(`report written to ${values.out} (${appeal.totals.events} events, ${appeal.suppressed.total} suppressions, ${appeal.days.length} days)\n`);
    } else io.stdout(text);
    return EXIT.ok;
  });
}

async function simulateCommand(args: string[], values: Values, io: CliIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr(`ses-feedback simulate: ${message} (try --help)\n`);
    return EXIT.usage;
  };
  if (args.length > 0) return usage('takes no arguments');
  const from = values.from;
  if (!from) return usage('give the sender with --from (a verified address, or an address of a verified domain)');
  if (addressProblem(from)) return usage(`--from must be an email address, got '${from}'`);
  const timeoutSeconds = Number(values.timeout ?? 300);
  if (!(timeoutSeconds > 0)) return usage(`--timeout must be a number of seconds above 0, got '${values.timeout}'`);
  const output = commandOutput(io);
  return withTarget(values, io, output, async (target) => {
    if (target.configurationSetNames.length === 0) throw new CliError(`stack ${target.name} lists no configuration sets (ConfigurationSetNames output)`);
    const { deployedSimulationPorts, formatSimulation, simulate } = await import('./simulate-command.js');
    const results = await simulate(deployedSimulationPorts(target), { from, configurationSets: target.configurationSetNames, timeoutSeconds, pollSeconds: 5 }, output.progress);
    output.done();
    io.stdout(formatSimulation(results));
    return results.every((r) => r.pass) ? EXIT.ok : EXIT.failed;
  });
}

async function resumeCommand(args: string[], values: Values, io: CliIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr(`ses-feedback resume: ${message} (try --help)\n`);
    return EXIT.usage;
  };
  if (args.length !== 1) return usage('give one configuration set');
  const set = args[0] as string;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(set)) return usage(`'${set}' is not a configuration set name`);
  const note = values.note?.trim();
  if (!note) return usage('say why it is safe to send again with --note (kept in the audit trail)');
  return withTarget(values, io, { done: () => undefined }, async (target) => {
    const { resumeSending } = await import('./resume-command.js');
    const env = io.env ?? process.env;
    const by = `${userInfo().username}${env.AWS_PROFILE ? ` (AWS profile ${env.AWS_PROFILE})` : ''}`;
    const result = await resumeSending(target, set, { note, force: values.force ?? false, by });
    if (result.outcome === 'already-sending') {
      io.stderr(`${set} is sending already; nothing to resume\n`);
      return EXIT.ok;
    }
    const forced = result.forced ? ', without the evidence (--force)' : '';
    if (result.probation === undefined) {
      io.stderr(`${set} sends again${forced}; recorded in the audit trail\n`);
      return EXIT.ok;
    }
    const alarm = result.alarmState === undefined ? '' : `; alarm ${result.pausedBy} is ${result.alarmState} for it, from the mail that paused it`;
    io.stderr(
      `${set} sends again on probation until ${result.probation.until.slice(0, 10)}${forced}${alarm}. ` +
        'Its rates since now judge it: new mail as bad as the mail that paused it pauses it again. Recorded in the audit trail\n',
    );
    return EXIT.ok;
  });
}

async function deadLettersCommand(args: string[], values: Values, io: CliIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr(`ses-feedback dead-letters: ${message} (try --help)\n`);
    return EXIT.usage;
  };
  if (args.length !== 1 || args[0] !== 'redrive') return usage(`unknown subcommand '${args.join(' ')}': use redrive`);
  const source = values.queue;
  if (source !== undefined && source !== 'feedback' && source !== 'suppressions') return usage(`--queue must be feedback or suppressions, got '${source}'`);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(Number.isInteger(rate) && rate >= 1 && rate <= 500)) return usage(`--rate must be a whole number from 1 to 500, got '${values.rate}'`);
  const pollSeconds = Number(values['poll-seconds'] ?? 5);
  if (!(pollSeconds > 0)) return usage(`--poll-seconds must be a number above 0, got '${values['poll-seconds']}'`);
  const timeoutSeconds = Number(values.timeout ?? 3600);
  if (!(timeoutSeconds > 0)) return usage(`--timeout must be a number of seconds above 0, got '${values.timeout}'`);
  const output = commandOutput(io);
  return withTarget(values, io, output, async (target) => {
    const { formatRedrive, redriveDeadLetters } = await import('./dead-letters-command.js');
    const results = await redriveDeadLetters(target, { source, messagesPerSecond: rate, pollSeconds, timeoutSeconds, progress: output.progress });
    output.done();
    io.stdout(formatRedrive(results));
    return results.every((r) => r.status === 'empty' || r.status === 'COMPLETED') ? EXIT.ok : EXIT.failed;
  });
}

/** Progress on stderr: one redrawn line on a terminal, a line per 10 % step otherwise. */
function commandOutput(io: CliIo): CommandOutput & { done(): void } {
  let drawn = false;
  let lastStep = -1;
  return {
    out: io.stdout,
    err: (text) => {
      if (drawn) io.stderr('\n');
      drawn = false;
      io.stderr(text);
    },
    progress: (line) => {
      if (io.stderrIsTTY) {
        io.stderr(`\r${line}`);
        drawn = true;
        return;
      }
      const step = Math.floor(Number(/(\d+) %/.exec(line)?.[1] ?? -10) / 10);
      if (step !== lastStep) io.stderr(`${line}\n`);
      lastStep = step;
    },
    done: () => {
      if (drawn) io.stderr('\n');
      drawn = false;
    },
  };
}

async function classify(args: string[], io: CliIo): Promise<number> {
  if (args.length !== 1) {
    io.stderr('ses-feedback classify: give one file, or - for standard input\n');
    return EXIT.usage;
  }
  const source = args[0] as string;
  let text: string;
  try {
    text = source === '-' ? io.readStdin() : io.readFile(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    io.stderr(`ses-feedback: cannot read ${source}: ${why}\n`);
    return EXIT.unreadableInput;
  }
  const { classifyText } = await import('./classify-command.js');
  const { decisions, errors } = classifyText(text);
  for (const decision of decisions) io.stdout(`${JSON.stringify(decision)}\n`);
  for (const error of errors) io.stderr(`ses-feedback: ${redactAddresses(error)}\n`);
  return errors.length > 0 ? EXIT.unreadableInput : EXIT.ok;
}

/** The real process's streams and file system. */
export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0, 'utf8'),
  readFile: (path) => readFileSync(path, 'utf8'),
  writeFile: (path, text) => writeFileSync(path, text),
  env: process.env,
  stderrIsTTY: process.stderr.isTTY,
};
