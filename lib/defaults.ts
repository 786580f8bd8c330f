import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { EmailSendingEvent } from 'aws-cdk-lib/aws-ses';

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
  managedConfigurationSetNames: ['transactional', 'marketing'],
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
  softBounceWindow: Duration.days(30),
  eventRetention: Duration.days(365),
  removalPolicy: RemovalPolicy.RETAIN,
  campaignTagName: 'campaign',
  maxReceiveCount: 5,
} as const;

/** Lines AWS itself uses, drawn on the dashboard (not alarmed: the alarms sit below them). */
export const AWS_ENFORCEMENT_LINES = {
  bounceRate: { review: 0.05, pause: 0.1 },
  complaintRate: { review: 0.001, pause: 0.005 },
} as const;

/** Sizing of the processing function and its queue, fixed by design (see README, "Throughput"). */
export const PROCESSING = {
  memorySizeInMb: 256,
  timeout: Duration.seconds(60),
  /** AWS guidance for SQS event sources: visibility timeout at least 6x the function timeout. */
  visibilityTimeout: Duration.seconds(360),
  /** Longer than the function timeout, shorter than the visibility timeout. */
  suppressionLease: Duration.seconds(90),
  batchSize: 10,
  maxBatchingWindow: Duration.seconds(5),
  /** SES allows about 1 request/s for non-send actions account-wide: two pollers, one SES call at a time each. */
  maxConcurrency: 2,
  /** SES's account-wide rate for non-send actions (requests per second); each poller gets an equal share. */
  sesAccountRequestsPerSecond: 1,
  /** AWS SDK retries (AWS_RETRY_MODE / AWS_MAX_ATTEMPTS): adaptive mode rate-limits on the client after a 429. */
  sdkRetryMode: 'adaptive',
  sdkMaxAttempts: 8,
  oldestMessageAlarmAge: Duration.minutes(15),
  logRetentionInDays: 90,
} as const;
