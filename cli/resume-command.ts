import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoGuardrailLog, type GuardrailEntry } from '../lambdas/pause-sending/adapters/dynamo-guardrail-log.js';
import { SesConfigurationSetSending } from '../lambdas/pause-sending/adapters/ses-configuration-set-sending.js';
import { CloudWatchSetReputation } from '../lambdas/pause-sending/adapters/cloudwatch-set-reputation.js';
import { PROBATION_PAUSE, type Probation } from '../lambdas/pause-sending/probation.js';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SesPacer } from '../lambdas/shared/adapters/ses-pacer.js';
import { CONFIGURATION_SET_DIMENSION } from '../lambdas/shared/contract.js';
import { DEFAULT_SETTINGS, PAUSE_SENDING_SETTINGS } from '../lambdas/shared/settings.js';
import { setsInAlarm } from './alarms.js';
import { CliError, type Target } from './target.js';

export interface ResumeOptions {
  /** Why it is safe to send again: kept in the audit trail. */
  readonly note: string;
  /** Resume without the evidence asked for (work still waiting for the writer, dead letters). */
  readonly force: boolean;
  /** Who resumes it (the operator's user and profile). */
  readonly by: string;
  readonly now?: Date;
}

export type ResumeOutcome =
  | { readonly outcome: 'resumed'; readonly pausedBy?: string; readonly alarmState?: string; readonly forced: boolean; readonly probation?: Probation }
  | { readonly outcome: 'already-sending' };

/**
 * `ses-feedback resume <set>`: turns the configuration set's sending back on, on probation, and
 * records who and why.
 *
 * A paused set sends nothing, so its own rate cannot fall while it is paused and its alarm says
 * nothing about the fix. The resume asks instead for what the pipeline can check: every address
 * that bounced or complained is on the list (nothing waits for the writer, no dead letter), and
 * the operator's note on what was fixed. The set then sends on probation (probation.ts): its
 * rates measured since the resume judge it, and new mail as bad as the mail that paused it
 * pauses it again. `--force` skips the evidence, never the probation.
 */
export async function resumeSending(target: Target, configurationSet: string, options: ResumeOptions): Promise<ResumeOutcome> {
  const sending = sendingOf(target);
  if ((await sending.describe(configurationSet)).sending) return { outcome: 'already-sending' };
  const log = guardrailLog(target);
  const latest = await log.latest(configurationSet);
  const pausedBy = latest?.kind === 'pause' ? latest.alarmName : undefined;
  const missing = await outstandingWork(target);
  if (missing.length > 0 && !options.force) {
    throw new CliError(`refused: ${missing.join('; ')}. Resume once every address that bounced or complained is on the list, or anyway with --force`);
  }
  const alarmState = pausedBy === undefined || pausedBy === PROBATION_PAUSE ? undefined : await alarmStateOf(target, pausedBy, configurationSet);
  const now = options.now ?? new Date();
  // A set the guardrail paused resumes on probation; one paused by hand (no pause recorded) simply sends again.
  const probation: Probation | undefined =
    pausedBy === undefined
      ? undefined
      : { configurationSet, since: now.toISOString(), until: new Date(now.getTime() + PAUSE_SENDING_SETTINGS.probationMaxDays * 86_400_000).toISOString(), atResume: await ratesOf(target, configurationSet, now) };
  if (probation) await log.start(probation);
  await sending.setSending(configurationSet, true);
  const forced = missing.length > 0;
  await log.recordResume({ configurationSet, at: now.toISOString(), by: options.by, note: options.note, forced, ...(probation ? { probation } : {}) });
  return { outcome: 'resumed', pausedBy, alarmState, forced, ...(probation ? { probation } : {}) };
}

/** What still has to reach the SES list before a set may send again: messages waiting for the writer, dead letters. */
async function outstandingWork(target: Target): Promise<string[]> {
  const sqs = target.client('sqs', SQSClient);
  const count = async (queueUrl: string): Promise<number> => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
    );
    return ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'].reduce((sum, key) => sum + Number(Attributes[key as keyof typeof Attributes] ?? 0), 0);
  };
  const [writer, ...dead] = await Promise.all([count(target.suppressionQueueUrl), ...target.deadLetterQueues.map((route) => count(route.deadLetterQueueUrl))]);
  const deadLetters = dead.reduce((a, b) => a + b, 0);
  return [
    ...(writer > 0 ? [`${writer} messages still wait for the suppression writer`] : []),
    ...(deadLetters > 0 ? [`${deadLetters} dead letters wait (ses-feedback status; fix their cause, then ses-feedback dead-letters redrive)`] : []),
  ];
}

/** The set's own newest rates (the ones that paused it), where there is CloudWatch to ask. */
async function ratesOf(target: Target, configurationSet: string, now: Date): Promise<Probation['atResume']> {
  if (!target.has('cloudwatch')) return {};
  const rates = await new CloudWatchSetReputation(target.client('cloudwatch', CloudWatchClient)).newest(configurationSet, new Date(now.getTime() - 14 * 86_400_000), now);
  return { ...(rates.bounce ? { bounce: rates.bounce.value } : {}), ...(rates.complaint ? { complaint: rates.complaint.value } : {}) };
}

/** Each of the target's configuration sets: whether it sends, and the guardrail's last word on it. */
export async function sendingStates(target: Target): Promise<Array<{ readonly configurationSet: string; readonly sending: boolean; readonly latest?: GuardrailEntry }>> {
  const sending = sendingOf(target);
  const log = guardrailLog(target);
  const states = [];
  for (const configurationSet of target.configurationSetNames) {
    const [state, latest] = await Promise.all([sending.describe(configurationSet), log.latest(configurationSet)]);
    states.push({ configurationSet, sending: state.sending, latest });
  }
  return states;
}

function sendingOf(target: Target): SesConfigurationSetSending {
  return new SesConfigurationSetSending(target.client('sesv2', SESv2Client), new SesPacer(target.sesRequestsPerSecond));
}

function guardrailLog(target: Target): DynamoGuardrailLog {
  return new DynamoGuardrailLog(target.client('dynamodb', DynamoDBClient), target.tableName, DEFAULT_SETTINGS.eventRetentionInDays);
}

/**
 * The state of the alarm that paused the set, for that set: the alarm's own state, or, for an
 * alarm with a contributor per configuration set, ALARM while the set's contributor is in ALARM.
 * Undefined where there is no CloudWatch to ask.
 */
async function alarmStateOf(target: Target, alarmName: string, configurationSet: string): Promise<string | undefined> {
  if (!target.has('cloudwatch')) return undefined;
  const cloudwatch = target.client('cloudwatch', CloudWatchClient);
  const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
  const alarm = MetricAlarms[0];
  const perSet = alarm?.Metrics?.some((m) => m.Expression?.includes(`GROUP BY "${CONFIGURATION_SET_DIMENSION}"`)) ?? false;
  if (!perSet || alarm?.StateValue !== 'ALARM') return alarm?.StateValue;
  return (await setsInAlarm(cloudwatch, alarmName)).includes(configurationSet) ? 'ALARM' : 'OK';
}
