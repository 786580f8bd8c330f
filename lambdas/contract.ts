/**
 * Names shared by the infrastructure (lib/) and the function code: environment variables, metric
 * names and the table layout. One source of truth, so the two cannot drift apart.
 */

/** Environment variables the process-feedback function reads (all required). */
export const PROCESS_FEEDBACK_ENV = {
  tableName: 'FEEDBACK_TABLE_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  softBounceThreshold: 'SOFT_BOUNCE_THRESHOLD',
  softBounceWindowInDays: 'SOFT_BOUNCE_WINDOW_DAYS',
  eventRetentionInDays: 'EVENT_RETENTION_DAYS',
  campaignTagName: 'CAMPAIGN_TAG_NAME',
  suppressionLeaseInSeconds: 'SUPPRESSION_LEASE_SECONDS',
  /** This instance's share of SES's account-wide rate for non-send calls. */
  sesRequestsPerSecond: 'SES_REQUESTS_PER_SECOND',
} as const;

/** What the process-feedback function is configured with; {@link processFeedbackEnvironment} encodes it. */
export interface ProcessFeedbackSettings {
  readonly tableName: string;
  readonly deadLetterQueueUrl: string;
  readonly softBounceThreshold: number;
  readonly softBounceWindowInDays: number;
  readonly eventRetentionInDays: number;
  readonly campaignTagName: string;
  readonly suppressionLeaseInSeconds: number;
  readonly sesRequestsPerSecond: number;
  /** AWS SDK retries, through the SDK's own AWS_RETRY_MODE / AWS_MAX_ATTEMPTS. */
  readonly sdkRetryMode: string;
  readonly sdkMaxAttempts: number;
}

/**
 * The function's environment, built in one place for the stack and the local pipeline alike, so
 * the two can never set different variables.
 */
export function processFeedbackEnvironment(settings: ProcessFeedbackSettings): Record<string, string> {
  const env = PROCESS_FEEDBACK_ENV;
  return {
    [env.tableName]: settings.tableName,
    [env.deadLetterQueueUrl]: settings.deadLetterQueueUrl,
    [env.softBounceThreshold]: String(settings.softBounceThreshold),
    [env.softBounceWindowInDays]: String(settings.softBounceWindowInDays),
    [env.eventRetentionInDays]: String(settings.eventRetentionInDays),
    [env.campaignTagName]: settings.campaignTagName,
    [env.suppressionLeaseInSeconds]: String(settings.suppressionLeaseInSeconds),
    [env.sesRequestsPerSecond]: String(settings.sesRequestsPerSecond),
    AWS_RETRY_MODE: settings.sdkRetryMode,
    AWS_MAX_ATTEMPTS: String(settings.sdkMaxAttempts),
  };
}

/** CloudWatch metrics the pipeline publishes (embedded metric format, from the function's logs). */
export const PIPELINE_METRICS = {
  namespace: 'SesFeedbackPipeline',
  serviceName: 'ses-feedback-pipeline',
  /** Dimension on every metric; `none` for identity notifications, which carry no configuration set. */
  configurationSetDimension: 'ConfigurationSet',
  noConfigurationSet: 'none',
  names: {
    events: 'Events',
    hardBounces: 'HardBounces',
    softBounces: 'SoftBounces',
    complaints: 'Complaints',
    suppressions: 'Suppressions',
    duplicates: 'Duplicates',
    malformed: 'Malformed',
  },
} as const;

export type PipelineMetricName = (typeof PIPELINE_METRICS.names)[keyof typeof PIPELINE_METRICS.names];

/**
 * The feedback table: one item per (recipient, event), plus one state item per address.
 *
 * - `pk = ADDR#<address>`, `sk = EVENT#<eventAt>#<eventType>#<messageId>`: all events of an address.
 * - `pk = ADDR#<address>`, `sk = STATE`: soft-bounce history and suppression state.
 * - Three time indexes, partition `<DIM>#<value>#<yyyy-mm-dd>#<shard>`, sort `eventAt`: events in a
 *   time range by configuration set, campaign tag, or recipient domain. `shard` (0..timeShards-1)
 *   spreads one busy day over several partitions; a reader queries each shard of each day.
 */
export const FEEDBACK_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  timeSortKey: 'eventAt',
  timeShards: 8,
  indexes: {
    byConfigurationSet: { indexName: 'byConfigurationSet', partitionKey: 'gsi1pk', prefix: 'CS' },
    byCampaign: { indexName: 'byCampaign', partitionKey: 'gsi2pk', prefix: 'CAMPAIGN' },
    byRecipientDomain: { indexName: 'byRecipientDomain', partitionKey: 'gsi3pk', prefix: 'DOMAIN' },
  },
} as const;

export type TimeIndex = keyof typeof FEEDBACK_TABLE.indexes;

/** Partition key of one shard of one day of a time index. */
export function timeIndexKey(index: TimeIndex, value: string, day: string, shard: number): string {
  return `${FEEDBACK_TABLE.indexes[index].prefix}#${value}#${day}#${shard}`;
}

/** Every partition key a reader queries to read one day of one value of a time index. */
export function timeIndexKeysForDay(index: TimeIndex, value: string, day: string): string[] {
  return Array.from({ length: FEEDBACK_TABLE.timeShards }, (_, shard) => timeIndexKey(index, value, day, shard));
}
