import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { PROCESSING, SUPPRESSION_WRITER } from '../defaults.js';
import type { ResolvedProps } from '../pipeline-props.js';
import { accountUnhealthyMetric, percent, providerBlocksOverAllSets, sesReputationBySet, sesReputationMetric, type ReputationMetricName } from './metrics.js';

/** Alarm severity. */
export type Severity = 'warning' | 'critical';

/** What an alarm tells the operator, and what it makes of a period without data. */
export interface AlarmRunbook {
  /** What happened and what to do, in the words of a runbook. */
  readonly description: string;
  readonly treatMissingData: cloudwatch.TreatMissingData;
}

/**
 * Makes the pipeline's alarms: each fires when its metric reaches its threshold in one period, and
 * tells the alert topic when it fires and when it recovers.
 *
 * Each alarm is created in the given scope as `Alarm-<id>`, where a deployed stack has it.
 */
export class AlarmFactory {
  public constructor(
    private readonly scope: Construct,
    private readonly alertTopic: sns.ITopic,
  ) {}

  public addAlarm(id: string, metric: cloudwatch.IMetric, threshold: number, runbook: AlarmRunbook): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this.scope, `Alarm-${id}`, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: runbook.description,
      treatMissingData: runbook.treatMissingData,
    });
    const action = new cwActions.SnsAction(this.alertTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}

/** A reputation alarm and what it watches: what the guardrail needs to know of it. */
export interface ReputationAlarm {
  readonly alarm: cloudwatch.Alarm;
  readonly metric: 'bounce' | 'complaint';
  readonly severity: Severity;
  readonly threshold: number;
  /** `account`: SES's account-wide rate; `per-set`: one Metrics Insights alarm whose contributors are the configuration sets. */
  readonly scope: 'account' | 'per-set';
}

/**
 * Bounce and complaint rates at each severity: account-wide (one metric alarm each), and for every
 * configuration set of the account with reputation metrics (one Metrics Insights alarm each, a
 * contributor per set). Eight alarms, however many sets there are.
 */
export function reputationAlarms(factory: AlarmFactory, config: Pick<ResolvedProps, 'bounceRateThresholds' | 'complaintRateThresholds'>): ReputationAlarm[] {
  const alarms: ReputationAlarm[] = [];
  for (const scope of ['account', 'per-set'] as const) {
    const label = scope === 'account' ? 'Account' : 'ConfigurationSets';
    const where = scope === 'account' ? 'account-wide' : 'of a configuration set (the alarm contributor names it)';
    const metric = (name: ReputationMetricName) => (scope === 'account' ? sesReputationMetric(name) : sesReputationBySet(name));
    for (const severity of ['warning', 'critical'] as const satisfies readonly Severity[]) {
      const bounce = config.bounceRateThresholds[severity];
      const complaint = config.complaintRateThresholds[severity];
      alarms.push(
        {
          alarm: factory.addAlarm(`${label}-BounceRate-${severity}`, metric('Reputation.BounceRate'), bounce, {
            description:
              `SES bounce rate ${where} at or above ${percent(bounce)} (${severity}). ` +
              'AWS reviews accounts at 5 % and may pause sending at 10 %. Find the list or campaign that bounces (dashboard, audit table), stop it, and clean the list.',
            // AWS's guidance for reputation alarms: missing data keeps the last state, never breaches.
            treatMissingData: cloudwatch.TreatMissingData.IGNORE,
          }),
          metric: 'bounce',
          severity,
          threshold: bounce,
          scope,
        },
        {
          alarm: factory.addAlarm(`${label}-ComplaintRate-${severity}`, metric('Reputation.ComplaintRate'), complaint, {
            description:
              `SES complaint rate ${where} at or above ${percent(complaint)} (${severity}). ` +
              'AWS reviews accounts at 0.1 % and may pause sending at 0.5 %. Check opt-in, unsubscribe links and sending frequency of the campaign that draws complaints.',
            treatMissingData: cloudwatch.TreatMissingData.IGNORE,
          }),
          metric: 'complaint',
          severity,
          threshold: complaint,
          scope,
        },
      );
    }
  }
  return alarms;
}

/** The queues and functions whose health is alarmed. */
export interface PipelineParts {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly suppressionQueue: sqs.IQueue;
  readonly processFeedback: lambda.IFunction;
  readonly writeSuppressions: lambda.IFunction;
  readonly watchReputation: lambda.IFunction;
}

/** The pipeline's own health: work waiting too long or parked, functions failing, the account's enforcement status, provider blocks. */
export function pipelineHealthAlarms(
  factory: AlarmFactory,
  parts: PipelineParts,
  config: Pick<ResolvedProps, 'providerBlockAlarmThreshold' | 'reputationWatchInterval'>,
): cloudwatch.Alarm[] {
  return [
    factory.addAlarm('DeadLetterQueueNotEmpty', parts.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }), 1, {
      description:
        'Feedback records wait in the dead-letter queue: malformed (see the failureReason attribute) or failed 5 times. Inspect them, fix the cause, then redrive them to the queue.',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    factory.addAlarm('QueueOldestMessageAge', parts.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }), PROCESSING.oldestMessageAlarmAge.toSeconds(), {
      description: `Feedback has waited more than ${PROCESSING.oldestMessageAlarmAge.toMinutes()} minutes: suppression is falling behind. Check the function's errors and throttles, and SES TooManyRequests in its logs.`,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    factory.addAlarm('ProcessFeedbackErrors', parts.processFeedback.metricErrors({ statistic: 'Sum' }), 1, {
      description: 'The process-feedback function crashed or timed out (record-level failures are retried, not counted here). Read its logs.',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    factory.addAlarm(
      'SuppressionQueueOldestMessageAge',
      parts.suppressionQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }),
      SUPPRESSION_WRITER.oldestMessageAlarmAge.toSeconds(),
      {
        description: `Addresses have waited more than ${SUPPRESSION_WRITER.oldestMessageAlarmAge.toMinutes()} minutes to be suppressed. Check the write-suppressions function's errors and SES TooManyRequests in its logs.`,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    ),
    factory.addAlarm('AccountEnforcement', accountUnhealthyMetric(config.reputationWatchInterval), 1, {
      description:
        'The SES account is under review (PROBATION), paused (SHUTDOWN) or has sending disabled, as the reputation watcher read it (GetAccount). ' +
        'Find the cause with `ses-feedback report`, stop that sending, and appeal with the report.',
      // Missing data means the watcher did not run: its Errors alarm covers that, not this one.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    }),
    factory.addAlarm('WatchReputationErrors', parts.watchReputation.metricErrors({ statistic: 'Sum', period: Duration.hours(1) }), 2, {
      description: 'The reputation watcher failed twice in an hour: enforcement changes may go unnoticed. Read its logs (GetAccount permission, throttling).',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    factory.addAlarm('ProviderBlocks', providerBlocksOverAllSets(), config.providerBlockAlarmThreshold, {
      description:
        `Mailbox providers refused the sender ${config.providerBlockAlarmThreshold} or more times in 15 minutes (non-permanent bounces with a 5.7.x status: spam filtering, block lists, rate limits, DMARC). ` +
        'Those readers were not suppressed: the sender is the problem, not the addresses. Find the provider with `ses-feedback status` or the report\'s "Blocked by mailbox providers"; ' +
        'check the sending IPs and domain on public block lists and the SPF, DKIM and DMARC alignment of the From domain (5.7.26: unauthenticated); ' +
        'slow down sending to that provider; look at the campaign that was going out (list source, content, complaints).',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    factory.addAlarm('WriteSuppressionsErrors', parts.writeSuppressions.metricErrors({ statistic: 'Sum' }), 1, {
      description: 'The write-suppressions function crashed or timed out; its batch is retried. Read its logs.',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  ];
}
