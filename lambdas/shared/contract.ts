/**
 * Names shared by the infrastructure (lib/) and the function code: environment variables, metric
 * names and the table layout. One source of truth, so the two cannot drift apart. The events the
 * pipeline puts on EventBridge for the user's own systems are in `events.ts`.
 */

/** Environment variables the process-feedback function reads (all required). */
export const PROCESS_FEEDBACK_ENV = {
  tableName: 'FEEDBACK_TABLE_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  suppressionQueueUrl: 'SUPPRESSION_QUEUE_URL',
  softBounceThreshold: 'SOFT_BOUNCE_THRESHOLD',
  softBounceWindowInDays: 'SOFT_BOUNCE_WINDOW_DAYS',
  eventRetentionInDays: 'EVENT_RETENTION_DAYS',
  campaignTagName: 'CAMPAIGN_TAG_NAME',
  /** The queue's maxReceiveCount: on its last receive, a failing record is parked with its reason. */
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
} as const;

/** What the process-feedback function is configured with; {@link processFeedbackEnvironment} encodes it. */
export interface ProcessFeedbackSettings {
  readonly tableName: string;
  readonly deadLetterQueueUrl: string;
  readonly suppressionQueueUrl: string;
  readonly softBounceThreshold: number;
  readonly softBounceWindowInDays: number;
  readonly eventRetentionInDays: number;
  readonly campaignTagName: string;
  readonly maxReceiveCount: number;
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
    [env.suppressionQueueUrl]: settings.suppressionQueueUrl,
    [env.softBounceThreshold]: String(settings.softBounceThreshold),
    [env.softBounceWindowInDays]: String(settings.softBounceWindowInDays),
    [env.eventRetentionInDays]: String(settings.eventRetentionInDays),
    [env.campaignTagName]: settings.campaignTagName,
    [env.maxReceiveCount]: String(settings.maxReceiveCount),
    AWS_RETRY_MODE: settings.sdkRetryMode,
    AWS_MAX_ATTEMPTS: String(settings.sdkMaxAttempts),
  };
}

/** Environment variables the suppression-writer function reads (all required). */
export const SUPPRESSION_WRITER_ENV = {
  tableName: 'FEEDBACK_TABLE_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  suppressionQueueUrl: 'SUPPRESSION_QUEUE_URL',
  importBucketName: 'IMPORT_BUCKET_NAME',
  importThreshold: 'IMPORT_THRESHOLD',
  maxAttempts: 'SUPPRESSION_MAX_ATTEMPTS',
  followInitialSeconds: 'IMPORT_FOLLOW_INITIAL_SECONDS',
  /** SES's account-wide rate for non-send calls: the writer's, one run at a time. */
  sesRequestsPerSecond: 'SES_REQUESTS_PER_SECOND',
  /** How long a run holds the writer's lease: longer than the function's timeout plus a margin. */
  leaseSeconds: 'WRITER_LEASE_SECONDS',
  /** How long a batch that found the lease held waits before its messages come again. */
  leaseWaitSeconds: 'LEASE_WAIT_SECONDS',
  /** Time one SES call may take from its start; no call starts unless it and the reserve are left. */
  sesCallBudgetMs: 'SES_CALL_BUDGET_MS',
  /** Time kept at the end of a run to settle what SES did and hand back the rest. */
  runReserveMs: 'RUN_RESERVE_MS',
  /** Where "Address Suppressed" events go (the account's default bus unless configured). */
  eventBusName: 'EVENT_BUS_NAME',
  /** The queues' maxReceiveCount: on its last receive, a failing message is parked with its reason. */
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  /** How long a suppression that soft bounces escalated stays on the list; 0: for good. */
  temporarySuppressionSeconds: 'TEMPORARY_SUPPRESSION_SECONDS',
  /** How long the audit record of an ended suppression is kept (as the processor's event records). */
  eventRetentionInDays: 'EVENT_RETENTION_DAYS',
} as const;

export interface SuppressionWriterSettings {
  readonly tableName: string;
  readonly deadLetterQueueUrl: string;
  readonly suppressionQueueUrl: string;
  readonly importBucketName: string;
  readonly importThreshold: number;
  readonly maxAttempts: number;
  readonly followInitialSeconds: number;
  readonly sesRequestsPerSecond: number;
  readonly leaseSeconds: number;
  readonly leaseWaitSeconds: number;
  readonly sesCallBudgetMs: number;
  readonly runReserveMs: number;
  readonly eventBusName: string;
  readonly maxReceiveCount: number;
  readonly temporarySuppressionSeconds: number;
  readonly eventRetentionInDays: number;
  readonly sdkRetryMode: string;
  readonly sdkMaxAttempts: number;
}

/** The suppression writer's environment, for the stack and the local pipeline alike. */
export function suppressionWriterEnvironment(settings: SuppressionWriterSettings): Record<string, string> {
  const env = SUPPRESSION_WRITER_ENV;
  return {
    [env.tableName]: settings.tableName,
    [env.deadLetterQueueUrl]: settings.deadLetterQueueUrl,
    [env.suppressionQueueUrl]: settings.suppressionQueueUrl,
    [env.importBucketName]: settings.importBucketName,
    [env.importThreshold]: String(settings.importThreshold),
    [env.maxAttempts]: String(settings.maxAttempts),
    [env.followInitialSeconds]: String(settings.followInitialSeconds),
    [env.sesRequestsPerSecond]: String(settings.sesRequestsPerSecond),
    [env.leaseSeconds]: String(settings.leaseSeconds),
    [env.leaseWaitSeconds]: String(settings.leaseWaitSeconds),
    [env.sesCallBudgetMs]: String(settings.sesCallBudgetMs),
    [env.runReserveMs]: String(settings.runReserveMs),
    [env.eventBusName]: settings.eventBusName,
    [env.maxReceiveCount]: String(settings.maxReceiveCount),
    [env.temporarySuppressionSeconds]: String(settings.temporarySuppressionSeconds),
    [env.eventRetentionInDays]: String(settings.eventRetentionInDays),
    AWS_RETRY_MODE: settings.sdkRetryMode,
    AWS_MAX_ATTEMPTS: String(settings.sdkMaxAttempts),
  };
}

/** Environment variables the reputation watcher reads (all required). */
export const REPUTATION_WATCHER_ENV = {
  tableName: 'FEEDBACK_TABLE_NAME',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  snapshotRetentionInDays: 'SNAPSHOT_RETENTION_DAYS',
} as const;

export interface ReputationWatcherSettings {
  readonly tableName: string;
  readonly alertTopicArn: string;
  readonly snapshotRetentionInDays: number;
}

export function reputationWatcherEnvironment(settings: ReputationWatcherSettings): Record<string, string> {
  const env = REPUTATION_WATCHER_ENV;
  return {
    [env.tableName]: settings.tableName,
    [env.alertTopicArn]: settings.alertTopicArn,
    [env.snapshotRetentionInDays]: String(settings.snapshotRetentionInDays),
  };
}

/** The dimension SES's per-set metrics carry (and the tag SES puts on each event): a Metrics Insights alarm's contributor attribute naming the set. */
export const CONFIGURATION_SET_DIMENSION = 'ses:configuration-set';

/**
 * The tag that makes a configuration set pausable by a stack's guardrail, with the stack's name as
 * its value: the stack tags the managed sets it may pause; the guardrail's role may switch only
 * tagged sets. A user may tag an existing set to make it pausable too.
 */
export const PAUSABLE_TAG_KEY = 'ses-feedback-pipeline:pausable';

/** Environment variables the pause-sending function (the guardrail) reads (all required). */
export const PAUSE_SENDING_ENV = {
  tableName: 'FEEDBACK_TABLE_NAME',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  eventBusName: 'EVENT_BUS_NAME',
  retentionInDays: 'EVENT_RETENTION_DAYS',
  /** JSON of the guardrail's settings: the critical alarms it acts on, the pausable tag, the existing sets it may pause. */
  settings: 'GUARDRAIL_SETTINGS',
} as const;

export interface PauseSendingSettings {
  readonly tableName: string;
  readonly alertTopicArn: string;
  readonly eventBusName: string;
  readonly retentionInDays: number;
  /** {@link GuardrailSettings} as JSON (the stack resolves the alarm names in it at deploy time). */
  readonly settingsJson: string;
}

export function pauseSendingEnvironment(settings: PauseSendingSettings): Record<string, string> {
  const env = PAUSE_SENDING_ENV;
  return {
    [env.tableName]: settings.tableName,
    [env.alertTopicArn]: settings.alertTopicArn,
    [env.eventBusName]: settings.eventBusName,
    [env.retentionInDays]: String(settings.retentionInDays),
    [env.settings]: settings.settingsJson,
  };
}

/** The CloudFormation stack `cdk deploy` creates unless `-c stackName=...` says otherwise; the CLI's default `--stack`. */
export const DEFAULT_STACK_NAME = 'SesFeedbackPipeline';

/** Short names of the configuration sets the stack creates unless told otherwise (one per kind of mail). */
export const DEFAULT_MANAGED_CONFIGURATION_SETS = ['transactional', 'marketing'] as const;

/**
 * The prefix a stack puts before the short name of each configuration set it creates: the stack's
 * name, so two stacks in one account and region (production, staging) never ask for the same name.
 */
export function configurationSetNamePrefix(stackName: string): string {
  return `${stackName}-`;
}

/** The SES name of a managed configuration set: `<prefix><short name>`. */
export function configurationSetName(prefix: string, shortName: string): string {
  return `${prefix}${shortName}`;
}

/**
 * The SES names of the default stack's managed configuration sets, by short name: what the local
 * pipeline and its scenarios send with, so they match a default `cdk deploy`.
 */
export const DEFAULT_STACK_CONFIGURATION_SETS = Object.fromEntries(
  DEFAULT_MANAGED_CONFIGURATION_SETS.map((shortName) => [shortName, configurationSetName(configurationSetNamePrefix(DEFAULT_STACK_NAME), shortName)]),
) as Readonly<Record<(typeof DEFAULT_MANAGED_CONFIGURATION_SETS)[number], string>>;

/** SES's rule for configuration set names (CreateConfigurationSet): 1-64 letters, digits, `_` and `-`. */
export const CONFIGURATION_SET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Where the import files of SES suppression-list import jobs live in the stack's import bucket:
 * SES may read only under `prefix` (bucket policy); the writer, the one that starts import jobs
 * (the operator CLI's imports included), writes its files under `pipeline`.
 */
export const IMPORT_FILES = {
  prefix: 'imports/',
  pipelinePrefix: 'imports/pipeline/',
} as const satisfies Record<string, `imports/${string}`>;

/** SES takes at most this many addresses per object in one suppression-list import (bulk add). */
export const SES_MAX_ROWS_PER_IMPORT = 100_000;
/** SQS's longest message delay: the writer's longest wait between two looks at an import job. */
export const MAX_FOLLOW_DELAY_SECONDS = 900;
/**
 * Looks at one import job before the writer gives up waiting (about a day: 10 s doubling to 900 s):
 * its rows are then retried as a new job, and parked once their attempts are spent.
 */
export const IMPORT_JOB_MAX_LOOKS = 100;
/**
 * Addresses per message on the writer's queues and in the dead-letter queue: about 100 KB, well
 * under SQS's 256 KB message limit, whatever the addresses (at most 254 characters each).
 */
export const ENTRIES_PER_MESSAGE = 300;

/** CloudWatch metrics the pipeline publishes (embedded metric format, from the function's logs). */
export const PIPELINE_METRICS = {
  namespace: 'SesFeedbackPipeline',
  serviceName: 'ses-feedback-pipeline',
  /** Dimension on every metric; `none` for identity notifications, which carry no configuration set. */
  configurationSetDimension: 'ConfigurationSet',
  noConfigurationSet: 'none',
  /** Dimension value for a configuration-set tag that is not a configuration-set name (never shown in clear). */
  invalidConfigurationSet: 'invalid',
  /** The writer's metrics carry this dimension instead (it does not know configuration sets). */
  writerDimension: { name: 'Component', value: 'suppression-writer' },
  names: {
    events: 'Events',
    hardBounces: 'HardBounces',
    softBounces: 'SoftBounces',
    complaints: 'Complaints',
    /** Non-permanent bounces whose DSN status is 5.7.x: a mailbox provider refused the sender (never suppressed). */
    providerBlocks: 'ProviderBlocks',
    /** Addresses the processor handed to the writer (per configuration set). */
    suppressionRequests: 'SuppressionRequests',
    /** Addresses SES accepted (writer: single calls + completed import rows). */
    suppressions: 'Suppressions',
    suppressionsSkipped: 'SuppressionsSkipped',
    suppressionsRejected: 'SuppressionsRejected',
    /** Temporary suppressions (soft bounces escalated) SES took off the list when they ended. */
    suppressionsExpired: 'SuppressionsExpired',
    importJobs: 'ImportJobs',
    duplicates: 'Duplicates',
    malformed: 'Malformed',
    /** Recipients parked in the dead-letter queue while the rest of their message went on. */
    parkedRecipients: 'ParkedRecipients',
    /** Messages that are deliberately not feedback (SNS subscription and topic-validation notices). */
    notFeedback: 'NotFeedback',
    /** Reputation watcher: 1 when the account is not HEALTHY or sending is disabled, else 0 (no dimension). */
    accountUnhealthy: 'AccountUnhealthy',
    /** Reputation watcher: 1 when the enforcement status or sending changed since the last look. */
    enforcementChanges: 'EnforcementStatusChanges',
  },
  /** The watcher's metrics carry this dimension. */
  watcherDimension: { name: 'Component', value: 'reputation-watcher' },
} as const;

export type PipelineMetricName = (typeof PIPELINE_METRICS.names)[keyof typeof PIPELINE_METRICS.names];

/**
 * The feedback table: one item per (recipient, event), plus one state item per address.
 *
 * - `pk = ADDR#<address>`, `sk = EVENT#<eventAt>#<eventType>#<messageId>`: all events of an address.
 * - `pk = ADDR#<address>`, `sk = STATE`: soft-bounce history.
 * - `pk = ADDR#<address>`, `sk = SUPPRESSION`: the address is on the SES suppression list (reason,
 *   when, how: single call, pipeline import job or operator import; `temporaryUntil` when soft
 *   bounces escalated), expiring `suppressionLedgerDays` after it was written (after its end, for a
 *   temporary one) so an address removed outside the pipeline is suppressed again in time.
 * - `pk = IMPORT#<sha-256 of the rows>`, `sk = JOB`: an operator import job, so a re-run resumes it.
 * - `pk = EXPIRY#<shard>`, `sk = <until>#<address>`: when a temporary suppression ends (below).
 * - `pk = ACCOUNT`, `sk = SNAPSHOT#<at>`: the reputation watcher's snapshots of the account
 *   (enforcement status, sending enabled, reputation rates), the history the report shows.
 * - One time index, `byDay`: partition `DAY#<yyyy-mm-dd>#<shard>`, sort `eventAt`: every event,
 *   operator action and suppression-ledger entry (`eventType = Suppressed`) of a day, with the few attributes a report groups by projected. `shard`
 *   (0..timeShards-1) spreads one busy day over several partitions; a reader queries each shard of
 *   each day and filters by configuration set, campaign or domain itself. One index, not one per
 *   dimension: each index a write is projected into is billed as one more write unit.
 */
export const FEEDBACK_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  timeSortKey: 'eventAt',
  timeShards: 8,
  sortKeys: { state: 'STATE', suppression: 'SUPPRESSION', refused: 'REFUSED' },
  /** What each kind of key begins with (the rest follows the `#`): read through the functions below. */
  keyPrefixes: { address: 'ADDR#', event: 'EVENT#' },
  suppressionLedgerDays: 30,
  account: { partitionKey: 'ACCOUNT', snapshotPrefix: 'SNAPSHOT#' },
  /**
   * The guardrail's history of one configuration set: `pk = CONFIGSET#<name>`, `sk = PAUSE#<at>` or
   * `RESUME#<at>`, time-indexed as events `ConfigurationSetPaused` / `ConfigurationSetResumed`.
   */
  configurationSet: { partitionKeyPrefix: 'CONFIGSET#', pausePrefix: 'PAUSE#', resumePrefix: 'RESUME#', paused: 'ConfigurationSetPaused', resumed: 'ConfigurationSetResumed' },
  /** The sets on probation after a resume: `pk = PROBATION`, `sk = <set>`, one item per set, deleted when the probation ends. */
  probation: { partitionKey: 'PROBATION' },
  /**
   * When temporary suppressions end: `pk = EXPIRY#<shard>`, `sk = <until>#<address>`, one item per
   * temporary suppression (sparse: only soft-bounce escalations have one), so the hourly tick
   * finds what is due with one query per shard, however long ago it came due.
   */
  expiry: { partitionKeyPrefix: 'EXPIRY#' },
  /** The suppression writer's run lease: one item, held by one run at a time. */
  writerLease: { partitionKey: 'WRITER', sortKey: 'LEASE' },
  /** The outcome of an operator's request to the writer (`suppression remove`): `pk = REQUEST#<id>`. */
  operatorRequest: { partitionKeyPrefix: 'REQUEST#', sortKey: 'OUTCOME' },
  timeIndex: {
    indexName: 'byDay',
    partitionKey: 'dayShard',
    prefix: 'DAY',
    /** What the index carries besides the keys (`pk` holds the address): what reports group and count by. */
    projectedAttributes: ['eventType', 'action', 'reason', 'rule', 'configurationSet', 'campaign', 'sendingDomain', 'recipientDomain', 'via'],
  },
} as const;

/** The time-index value under which operator actions (removals) are recorded. */
export const OPERATOR_CONFIGURATION_SET = 'operator';

/** FNV-1a, folded onto the shard count: stable across runs and processes. */
export function shardOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % FEEDBACK_TABLE.timeShards;
}

/** Partition key of every item of one address (events, state, suppression ledger). */
export function addressKey(address: string): string {
  return `${FEEDBACK_TABLE.keyPrefixes.address}${address}`;
}

/** The address an {@link addressKey} names. */
export function addressOfKey(partitionKey: string): string {
  return partitionKey.slice(FEEDBACK_TABLE.keyPrefixes.address.length);
}

/** Sort key of one event of an address; `eventKey` is `<eventAt>#<eventType>#<id>`. */
export function eventSortKey(eventKey: string): string {
  return `${FEEDBACK_TABLE.keyPrefixes.event}${eventKey}`;
}

/** Partition key of one shard of one day (`yyyy-mm-dd`) of the time index. */
export function dayShardKey(day: string, shard: number): string {
  return `${FEEDBACK_TABLE.timeIndex.prefix}#${day}#${shard}`;
}

/** Every partition key a reader queries to read one day (`yyyy-mm-dd`) of the time index. */
export function dayShardKeys(day: string): string[] {
  return Array.from({ length: FEEDBACK_TABLE.timeShards }, (_, shard) => dayShardKey(day, shard));
}

/** Every UTC day (`yyyy-mm-dd`) from `from`'s to `until`'s, inclusive. */
export function daysBetween(from: Date, until: Date): string[] {
  const days: string[] = [];
  const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  while (day.getTime() <= until.getTime()) {
    days.push(day.toISOString().slice(0, 10));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return days;
}

/** The input the stack's schedule gives the guardrail: look at the sets on probation. */
export const PROBATION_CHECK_EVENT = { type: 'probation-check' } as const;
