import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { eventSourceVisibilityTimeout, PROCESSING, SUPPRESSION_WRITER } from '../defaults.js';
import type { ResolvedProps } from '../pipeline-props.js';
import { accountUnhealthyMetric, percent, providerBlocksOverAllSets, sesReputationBySet, sesReputationMetric, type ReputationMetricName } from './metrics.js';

/** Alarm severity. */
export type Severity = 'warning' | 'critical';

/** What an alarm tells the operator, and what it makes of a period without data. */
export interface AlarmRunbook {
  /** What happened and what to do, in the words of a runbook. */
  readonly description: string;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /**
   * Periods in a row that must breach: more than 1 for a failure that is retried and ends well
   * on its own, so the alarm means it keeps failing.
   * @default 1
   */
  readonly periodsInARow?: number;
}

/**
 * Makes the pipeline's alarms: each fires when its metric reaches its threshold in one period (or
 * in {@link AlarmRunbook.periodsInARow} in a row), and tells the alert topic when it fires and when
 * it recovers.
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
      evaluationPeriods: runbook.periodsInARow ?? 1,
      datapointsToAlarm: runbook.periodsInARow ?? 1,
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
  readonly suppressionDeadLetterQueue: sqs.IQueue;
  readonly processFeedback: lambda.IFunction;
  readonly writeSuppressions: lambda.IFunction;
  readonly watchReputation: lambda.IFunction;
}

/** A function fed by a queue alarms when it crashed in this many periods in a row of {@link crashPeriod}. */
const CRASH_PERIODS_IN_A_ROW = 2;

/**
 * The period of a queue-fed function's crash alarm: a minute more than the queue's visibility
 * timeout, so a batch that crashes on every receive crashes in every period, while one crash that
 * its retry recovers from breaches a single period only.
 */
export function crashPeriod(visibilityTimeout: Duration): Duration {
  return Duration.minutes(Math.ceil(visibilityTimeout.toSeconds() / 60) + 1);
}

/**
 * Asynchronous invocations (a schedule's, a rule's) that Lambda dropped after its retries or past
 * their maximum age: runs that failed for good, unlike `Errors`, which counts every attempt.
 */
export function failedAfterRetries(fn: lambda.IFunction, period: Duration = Duration.minutes(5)): cloudwatch.IMetric {
  return fn.metric('AsyncEventsDropped', { statistic: 'Sum', period });
}

/** Messages visible in both dead-letter queues together: one alarm, whichever queue they wait in. */
function deadLettersWaiting(parts: Pick<PipelineParts, 'deadLetterQueue' | 'suppressionDeadLetterQueue'>): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: 'feedback + suppressions',
    label: 'dead letters',
    usingMetrics: {
      feedback: parts.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
      suppressions: parts.suppressionDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
    },
  });
}

/** The pipeline's own health: work waiting too long or parked, functions failing, the account's enforcement status, provider blocks. */
export function pipelineHealthAlarms(
  factory: AlarmFactory,
  parts: PipelineParts,
  config: Pick<ResolvedProps, 'providerBlockAlarmThreshold' | 'reputationWatchInterval' | 'suppressionBatchingWindow'>,
): cloudwatch.Alarm[] {
  const feedbackCrashPeriod = crashPeriod(eventSourceVisibilityTimeout(PROCESSING.timeout, PROCESSING.maxBatchingWindow));
  const writerCrashPeriod = crashPeriod(eventSourceVisibilityTimeout(SUPPRESSION_WRITER.timeout, config.suppressionBatchingWindow));
  return [
    factory.addAlarm('DeadLetterQueueNotEmpty', deadLettersWaiting(parts), 1, {
      description:
        'Messages wait in a dead-letter queue: feedback records that are malformed or failed 5 times, or suppression requests SES refused for good (each with a failureReason attribute). ' +
        'See which with `ses-feedback status`, fix the cause, then `ses-feedback dead-letters redrive` moves each back to the queue it came from.',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    factory.addAlarm('QueueOldestMessageAge', parts.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }), PROCESSING.oldestMessageAlarmAge.toSeconds(), {
      description: `Feedback has waited more than ${PROCESSING.oldestMessageAlarmAge.toMinutes()} minutes: suppression is falling behind. Check the function's errors and throttles, and SES TooManyRequests in its logs.`,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    // SQS hands a failed batch over again: one crash whose retry succeeds is not worth a page. A
    // batch that keeps failing ends in the dead-letter queue (alarmed) and makes feedback wait
    // (alarmed); this one says the function itself keeps crashing.
    factory.addAlarm('ProcessFeedbackErrors', parts.processFeedback.metricErrors({ statistic: 'Sum', period: feedbackCrashPeriod }), 1, {
      description: `The process-feedback function crashed or timed out in ${CRASH_PERIODS_IN_A_ROW} periods of ${feedbackCrashPeriod.toMinutes()} minutes in a row (record-level failures are retried, not counted here; a crash its retry recovers from is not alarmed). Read its logs.`,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      periodsInARow: CRASH_PERIODS_IN_A_ROW,
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
    // Lambda retries a failed scheduled run twice: Errors counts every attempt, so a run whose
    // third attempt succeeds would read as failures. A run dropped after its retries is a check missed.
    factory.addAlarm('WatchReputationErrors', failedAfterRetries(parts.watchReputation, Duration.hours(1)), 1, {
      description:
        'A scheduled run of the reputation watcher failed after Lambda\'s retries (AsyncEventsDropped): an enforcement change may go unnoticed until a run succeeds. Read its logs (GetAccount permission, throttling).',
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
    factory.addAlarm('WriteSuppressionsErrors', parts.writeSuppressions.metricErrors({ statistic: 'Sum', period: writerCrashPeriod }), 1, {
      description: `The write-suppressions function crashed or timed out in ${CRASH_PERIODS_IN_A_ROW} periods of ${writerCrashPeriod.toMinutes()} minutes in a row (its batch is retried; a crash its retry recovers from is not alarmed). Read its logs.`,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      periodsInARow: CRASH_PERIODS_IN_A_ROW,
    }),
  ];
}
