import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { EmailSendingEvent } from 'aws-cdk-lib/aws-ses';
import { DEFAULT_SETTINGS, eventSourceVisibilityTimeoutInSeconds, PROCESSING_SETTINGS, QUEUE_RETENTION_IN_DAYS, REPUTATION_WATCHER_SETTINGS, SUPPRESSION_WRITER_SETTINGS, type RemovalPolicyName, type SesEventType } from '../lambdas/shared/settings.js';

/*
 * The values live in lambdas/shared/settings.ts, in plain units, where code without aws-cdk-lib (the
 * operator CLI, the local pipeline, the bench) reads them too. This module gives the construct the
 * same values in CDK types.
 */

export { AWS_ENFORCEMENT_LINES, LAMBDA_BUNDLING, type RateThresholds } from '../lambdas/shared/settings.js';

/** SES's event type names as the CDK's enum spells them (the enum's values are SES's names). */
const EMAIL_SENDING_EVENTS: Readonly<Record<SesEventType, EmailSendingEvent>> = {
  send: EmailSendingEvent.SEND,
  reject: EmailSendingEvent.REJECT,
  bounce: EmailSendingEvent.BOUNCE,
  complaint: EmailSendingEvent.COMPLAINT,
  delivery: EmailSendingEvent.DELIVERY,
  open: EmailSendingEvent.OPEN,
  click: EmailSendingEvent.CLICK,
  renderingFailure: EmailSendingEvent.RENDERING_FAILURE,
  deliveryDelay: EmailSendingEvent.DELIVERY_DELAY,
  subscription: EmailSendingEvent.SUBSCRIPTION,
};

/** The CDK's enum member for an SES event type. */
export function toEmailSendingEvent(type: SesEventType): EmailSendingEvent {
  return EMAIL_SENDING_EVENTS[type];
}

/** The CDK's removal policy for a `removalPolicy` name. */
export function toRemovalPolicy(name: RemovalPolicyName): RemovalPolicy {
  return name === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

/** Every default of {@link SesFeedbackPipelineProps}, in CDK types. */
export const DEFAULTS = {
  /** Short names: each SES name is the `configurationSetNamePrefix` prop followed by the short name. */
  managedConfigurationSetNames: [...DEFAULT_SETTINGS.managedConfigurationSetNames] as string[],
  existingConfigurationSetNames: [...DEFAULT_SETTINGS.existingConfigurationSetNames] as string[],
  eventTypes: DEFAULT_SETTINGS.eventTypes.map(toEmailSendingEvent),
  bounceRateThresholds: DEFAULT_SETTINGS.bounceRateThresholds,
  complaintRateThresholds: DEFAULT_SETTINGS.complaintRateThresholds,
  alertEmails: [...DEFAULT_SETTINGS.alertEmails] as string[],
  softBounceThreshold: DEFAULT_SETTINGS.softBounceThreshold,
  providerBlockAlarmThreshold: DEFAULT_SETTINGS.providerBlockAlarmThreshold,
  softBounceWindow: Duration.days(DEFAULT_SETTINGS.softBounceWindowInDays),
  softBounceSuppressionPeriod: Duration.days(DEFAULT_SETTINGS.softBounceSuppressionPeriodInDays),
  eventRetention: Duration.days(DEFAULT_SETTINGS.eventRetentionInDays),
  removalPolicy: toRemovalPolicy(DEFAULT_SETTINGS.removalPolicy),
  campaignTagName: DEFAULT_SETTINGS.campaignTagName,
  maxReceiveCount: DEFAULT_SETTINGS.maxReceiveCount,
  suppressionBatchingWindow: Duration.seconds(DEFAULT_SETTINGS.suppressionBatchingWindowInSeconds),
  importThreshold: DEFAULT_SETTINGS.importThreshold,
  importFileRetention: Duration.days(DEFAULT_SETTINGS.importFileRetentionInDays),
  reputationWatchInterval: Duration.minutes(DEFAULT_SETTINGS.reputationWatchIntervalInMinutes),
} as const;

/** Sizing of the processing function and its queue, fixed by design (see README, "Throughput"). */
export const PROCESSING = {
  memorySizeInMb: PROCESSING_SETTINGS.memorySizeInMb,
  timeout: Duration.seconds(PROCESSING_SETTINGS.timeoutInSeconds),
  batchSize: PROCESSING_SETTINGS.batchSize,
  maxBatchingWindow: Duration.seconds(PROCESSING_SETTINGS.maxBatchingWindowInSeconds),
  maxConcurrency: PROCESSING_SETTINGS.maxConcurrency,
  sdkRetryMode: PROCESSING_SETTINGS.sdkRetryMode,
  sdkMaxAttempts: PROCESSING_SETTINGS.sdkMaxAttempts,
  oldestMessageAlarmAge: Duration.minutes(PROCESSING_SETTINGS.oldestMessageAlarmAgeInMinutes),
  logRetentionInDays: PROCESSING_SETTINGS.logRetentionInDays,
} as const;

/** Sizing of the suppression writer and its queue. */
export const SUPPRESSION_WRITER = {
  memorySizeInMb: SUPPRESSION_WRITER_SETTINGS.memorySizeInMb,
  timeout: Duration.minutes(SUPPRESSION_WRITER_SETTINGS.timeoutInMinutes),
  batchSize: SUPPRESSION_WRITER_SETTINGS.batchSize,
  maxConcurrency: SUPPRESSION_WRITER_SETTINGS.maxConcurrency,
  sesAccountRequestsPerSecond: SUPPRESSION_WRITER_SETTINGS.sesAccountRequestsPerSecond,
  maxAttempts: SUPPRESSION_WRITER_SETTINGS.maxAttempts,
  followInitialDelay: Duration.seconds(SUPPRESSION_WRITER_SETTINGS.followInitialDelayInSeconds),
  oldestMessageAlarmAge: Duration.minutes(SUPPRESSION_WRITER_SETTINGS.oldestMessageAlarmAgeInMinutes),
  expiryTickInterval: Duration.minutes(SUPPRESSION_WRITER_SETTINGS.expiryTickIntervalInMinutes),
} as const;

/** The reputation watcher function. */
export const REPUTATION_WATCHER = {
  memorySizeInMb: REPUTATION_WATCHER_SETTINGS.memorySizeInMb,
  timeout: Duration.seconds(REPUTATION_WATCHER_SETTINGS.timeoutInSeconds),
} as const;

/** How long each queue keeps a message (the reasons are in {@link QUEUE_RETENTION_IN_DAYS}). */
export const QUEUE_RETENTION = {
  source: Duration.days(QUEUE_RETENTION_IN_DAYS.source),
  deadLetter: Duration.days(QUEUE_RETENTION_IN_DAYS.deadLetter),
} as const;

/** {@link eventSourceVisibilityTimeoutInSeconds}, in CDK durations. */
export function eventSourceVisibilityTimeout(functionTimeout: Duration, batchingWindow: Duration = Duration.seconds(0)): Duration {
  return Duration.seconds(eventSourceVisibilityTimeoutInSeconds(functionTimeout.toSeconds(), batchingWindow.toSeconds()));
}
