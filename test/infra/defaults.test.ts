import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { EmailSendingEvent } from 'aws-cdk-lib/aws-ses';
import { DEFAULTS, eventSourceVisibilityTimeout, PROCESSING, QUEUE_RETENTION, REPUTATION_WATCHER, SUPPRESSION_WRITER, toEmailSendingEvent, toRemovalPolicy } from '../../lib/defaults.js';
import { DEFAULT_SETTINGS, PROCESSING_SETTINGS, QUEUE_RETENTION_IN_DAYS, REPUTATION_WATCHER_SETTINGS, SUPPRESSION_WRITER_SETTINGS, type SesEventType } from '../../lambdas/shared/settings.js';

describe('the construct defaults, in CDK types', () => {
  it('maps every SES event type to the CDK enum member whose value is that name', () => {
    const types = Object.values(EmailSendingEvent) as string[];
    expect(types).toHaveLength(10);
    for (const type of types) expect(toEmailSendingEvent(type as SesEventType)).toBe(type);
  });

  it('carries every plain setting, in its unit', () => {
    // Each plain key with a unit (`...InDays`) is replaced by its CDK Duration; `undefined` marks it absent.
    expect(DEFAULTS).toEqual({
      ...DEFAULT_SETTINGS,
      managedConfigurationSetNames: [...DEFAULT_SETTINGS.managedConfigurationSetNames],
      eventTypes: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.DELIVERY_DELAY, EmailSendingEvent.REJECT],
      removalPolicy: RemovalPolicy.RETAIN,
      softBounceWindowInDays: undefined,
      softBounceWindow: Duration.days(DEFAULT_SETTINGS.softBounceWindowInDays),
      softBounceSuppressionPeriodInDays: undefined,
      softBounceSuppressionPeriod: Duration.days(DEFAULT_SETTINGS.softBounceSuppressionPeriodInDays),
      eventRetentionInDays: undefined,
      eventRetention: Duration.days(DEFAULT_SETTINGS.eventRetentionInDays),
      suppressionBatchingWindowInSeconds: undefined,
      suppressionBatchingWindow: Duration.seconds(DEFAULT_SETTINGS.suppressionBatchingWindowInSeconds),
      importFileRetentionInDays: undefined,
      importFileRetention: Duration.days(DEFAULT_SETTINGS.importFileRetentionInDays),
      reputationWatchIntervalInMinutes: undefined,
      reputationWatchInterval: Duration.minutes(DEFAULT_SETTINGS.reputationWatchIntervalInMinutes),
    });
    expect(PROCESSING.timeout.toSeconds()).toBe(PROCESSING_SETTINGS.timeoutInSeconds);
    expect(PROCESSING.maxBatchingWindow.toSeconds()).toBe(PROCESSING_SETTINGS.maxBatchingWindowInSeconds);
    expect(PROCESSING.oldestMessageAlarmAge.toMinutes()).toBe(PROCESSING_SETTINGS.oldestMessageAlarmAgeInMinutes);
    expect(SUPPRESSION_WRITER.timeout.toMinutes()).toBe(SUPPRESSION_WRITER_SETTINGS.timeoutInMinutes);
    expect(SUPPRESSION_WRITER.followInitialDelay.toSeconds()).toBe(SUPPRESSION_WRITER_SETTINGS.followInitialDelayInSeconds);
    expect(SUPPRESSION_WRITER.oldestMessageAlarmAge.toMinutes()).toBe(SUPPRESSION_WRITER_SETTINGS.oldestMessageAlarmAgeInMinutes);
    expect(SUPPRESSION_WRITER.expiryTickInterval.toMinutes()).toBe(SUPPRESSION_WRITER_SETTINGS.expiryTickIntervalInMinutes);
    expect(REPUTATION_WATCHER.timeout.toSeconds()).toBe(REPUTATION_WATCHER_SETTINGS.timeoutInSeconds);
    expect(QUEUE_RETENTION.source.toDays()).toBe(QUEUE_RETENTION_IN_DAYS.source);
    expect(QUEUE_RETENTION.deadLetter.toDays()).toBe(QUEUE_RETENTION_IN_DAYS.deadLetter);
  });

  it('maps the removal policy names of the context flag', () => {
    expect(toRemovalPolicy('retain')).toBe(RemovalPolicy.RETAIN);
    expect(toRemovalPolicy('destroy')).toBe(RemovalPolicy.DESTROY);
  });

  it('gives a source queue six function timeouts plus the batching window', () => {
    expect(eventSourceVisibilityTimeout(Duration.minutes(3), Duration.seconds(20)).toSeconds()).toBe(1_100);
    expect(eventSourceVisibilityTimeout(Duration.seconds(60)).toSeconds()).toBe(360);
  });
});
