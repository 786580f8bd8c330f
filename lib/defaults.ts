import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { EmailSendingEvent } from 'aws-cdk-lib/aws-ses';
import { DEFAULT_MANAGED_CONFIGURATION_SETS } from '../lambdas/contract.js';

/** Alarm thresholds for a rate, as fractions (0.05 = 5 %). */
export interface RateThresholds {
  /** Early warning: time to look. */
  readonly warning: number;
  /** Act now: the level at which AWS starts to review accounts. */
  readonly critical: number;
}

/**
 * Every default of {@link SesFeedbackPipelineProps}, in one place (and each tested once).
 */
export const DEFAULTS = {
  /** Short names: each SES name is the `configurationSetNamePrefix` prop followed by the short name. */
  managedConfigurationSetNames: [...DEFAULT_MANAGED_CONFIGURATION_SETS],
  existingConfigurationSetNames: [] as string[],
  eventTypes: [
    EmailSendingEvent.BOUNCE,
    EmailSendingEvent.COMPLAINT,
    EmailSendingEvent.DELIVERY_DELAY,
    EmailSendingEvent.REJECT,
  ],
  /** AWS reviews at 5 % and may pause at 10 %: warn at 3 %, critical at 5 %. */
  bounceRateThresholds: { warning: 0.03, critical: 0.05 } satisfies RateThresholds,
  /** AWS reviews at 0.1 % and may pause at 0.5 %: warn at 0.08 %, critical at 0.1 %. */
  complaintRateThresholds: { warning: 0.0008, critical: 0.001 } satisfies RateThresholds,
  alertEmails: [] as string[],
  softBounceThreshold: 5,
  /** Provider blocks (all configuration sets) per 15 minutes that raise the ProviderBlocks alarm. */
  providerBlockAlarmThreshold: 25,
  softBounceWindow: Duration.days(30),
  eventRetention: Duration.days(365),
  removalPolicy: RemovalPolicy.RETAIN,
  campaignTagName: 'campaign',
  maxReceiveCount: 5,
  /** How long the writer gathers addresses before it writes them (SQS allows up to 300 s). */
  suppressionBatchingWindow: Duration.seconds(20),
  /** From this many addresses in one batch, an import job replaces single calls. */
  importThreshold: 25,
  /** Import files are deleted this long after they are written (the job has long ended). */
  importFileRetention: Duration.days(14),
  reputationWatchInterval: Duration.minutes(15),
} as const;

/** Lines AWS itself uses, drawn on the dashboard (not alarmed: the alarms sit below them). */
export const AWS_ENFORCEMENT_LINES = {
  bounceRate: { review: 0.05, pause: 0.1 },
  complaintRate: { review: 0.001, pause: 0.005 },
} as const;

/**
 * How every function is bundled (esbuild through NodejsFunction; the AWS SDK v3 is left to the
 * Lambda runtime, NodejsFunction's default). `npm run bench` bundles the same way to measure size and start.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
} as const;

/** Sizing of the processing function and its queue, fixed by design (see README, "Throughput"). */
export const PROCESSING = {
  memorySizeInMb: 256,
  timeout: Duration.seconds(60),
  batchSize: 10,
  maxBatchingWindow: Duration.seconds(5),
  /** The processor makes no SES call (the writer does), so it may run wider than SES's rate. */
  maxConcurrency: 10,
  /** AWS SDK retries (AWS_RETRY_MODE / AWS_MAX_ATTEMPTS): adaptive mode rate-limits on the client after a 429. */
  sdkRetryMode: 'adaptive',
  sdkMaxAttempts: 8,
  oldestMessageAlarmAge: Duration.minutes(15),
  logRetentionInDays: 90,
} as const;

/** Sizing of the suppression writer and its queue. */
export const SUPPRESSION_WRITER = {
  memorySizeInMb: 512,
  /** Room for a batch of single calls at this instance's share of SES's rate, plus SDK retries. */
  timeout: Duration.minutes(3),
  /** SQS's largest batch for a standard queue (needs a batching window); Lambda's 6 MB payload limit may cut it. */
  batchSize: 10_000,
  /** SQS event sources run at least 2 pollers, on each of the writer's two queues; SES's rate is shared among all four. */
  maxConcurrency: 2,
  eventSources: 2,
  /** The import-job queue: follow-up looks, read at once (no batching window). */
  importJobBatchSize: 10,
  /** SES's account-wide rate for non-send actions (requests per second); each poller gets an equal share. */
  sesAccountRequestsPerSecond: 1,
  /** Attempts per address before it is surfaced in the dead-letter queue. */
  maxAttempts: 3,
  /** First look at a new import job; each later look waits twice as long (at most 900 s). */
  followInitialDelay: Duration.seconds(10),
  /** Longer than the longest follow-up delay (900 s): only a stuck writer trips it. */
  oldestMessageAlarmAge: Duration.minutes(30),
} as const;

/**
 * The visibility timeout of a queue that feeds a Lambda function: six times the function's timeout
 * plus the event source's batching window.
 *
 * AWS words the rule two ways: the Lambda and SQS developer guides ask for at least six times the
 * function timeout, and Lambda's earlier guidance adds the maximum batching window on top. This is
 * the stricter of the two, so it meets both. It is never below the function timeout, which Lambda
 * checks when it creates the event source mapping.
 */
export function eventSourceVisibilityTimeout(functionTimeout: Duration, batchingWindow: Duration = Duration.seconds(0)): Duration {
  return Duration.seconds(6 * functionTimeout.toSeconds() + batchingWindow.toSeconds());
}

/** How long each queue keeps a message. */
export const QUEUE_RETENTION = {
  /**
   * Queues that feed a function. A message still there after a week has had the oldest-message
   * alarms (15 and 30 minutes) firing for days: the week is for the cause to be fixed.
   */
  source: Duration.days(7),
  /**
   * SQS's maximum, longer than every source: a message's age counts from its first enqueue, so a
   * dead-letter queue that kept no longer than its source would drop what moved there late.
   */
  deadLetter: Duration.days(14),
} as const;

/** The reputation watcher function. */
export const REPUTATION_WATCHER = {
  memorySizeInMb: 256,
  /** GetAccount, one GetMetricData, one Query, one PutItem and maybe one Publish. */
  timeout: Duration.seconds(30),
} as const;
