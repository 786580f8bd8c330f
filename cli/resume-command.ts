import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoGuardrailLog, type GuardrailEntry } from '../lambdas/pause-sending/adapters/dynamo-guardrail-log.js';
import { SesConfigurationSetSending } from '../lambdas/pause-sending/adapters/ses-configuration-set-sending.js';
import { SesPacer } from '../lambdas/shared/adapters/ses-pacer.js';
import { CONFIGURATION_SET_DIMENSION } from '../lambdas/shared/contract.js';
import { DEFAULT_SETTINGS } from '../lambdas/shared/settings.js';
import { setsInAlarm } from './alarms.js';
import { CliError, type Target } from './target.js';

export interface ResumeOptions {
  /** Why it is safe to send again: kept in the audit trail. */
  readonly note: string;
  /** Resume even while the alarm that paused the set is still in ALARM. */
  readonly force: boolean;
  /** Who resumes it (the operator's user and profile). */
  readonly by: string;
  readonly now?: Date;
}

export type ResumeOutcome =
  | { readonly outcome: 'resumed'; readonly pausedBy?: string; readonly alarmState?: string; readonly forced: boolean }
  | { readonly outcome: 'already-sending' };

/**
 * `ses-feedback resume <set>`: turns the configuration set's sending back on and records who and
 * why. Refused while the alarm that paused it is still in ALARM, unless `force`: sending again into
 * a bounce or complaint wave undoes what the pause bought.
 */
export async function resumeSending(target: Target, configurationSet: string, options: ResumeOptions): Promise<ResumeOutcome> {
  const sending = sendingOf(target);
  if ((await sending.describe(configurationSet)).sending) return { outcome: 'already-sending' };
  const log = guardrailLog(target);
  const latest = await log.latest(configurationSet);
  const pausedBy = latest?.kind === 'pause' ? latest.alarmName : undefined;
  const alarmState = pausedBy === undefined ? undefined : await alarmStateOf(target, pausedBy, configurationSet);
  if (alarmState === 'ALARM' && !options.force) {
    throw new CliError(
      `refused: ${configurationSet} was paused by alarm ${pausedBy}, which is still in ALARM. Find and fix the cause first (ses-feedback report), ` +
        'let the rate come down, or resume anyway with --force',
    );
  }
  await sending.setSending(configurationSet, true);
  const forced = alarmState === 'ALARM';
  await log.recordResume({ configurationSet, at: (options.now ?? new Date()).toISOString(), by: options.by, note: options.note, forced });
  return { outcome: 'resumed', pausedBy, alarmState, forced };
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
