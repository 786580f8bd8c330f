/**
 * The pipeline's settings in plain units: every default of the construct's props and the sizing
 * fixed by design. No framework import, so the operator CLI, the local pipeline and the bench read
 * the same values as the stack without loading aws-cdk-lib; `lib/defaults.ts` wraps them in CDK
 * types (Duration, RemovalPolicy, EmailSendingEvent) for the construct.
 */
import { DEFAULT_MANAGED_CONFIGURATION_SETS, type ProcessFeedbackSettings, type SuppressionWriterSettings } from './contract.js';

/** Alarm thresholds for a rate, as fractions (0.05 = 5 %). */
export interface RateThresholds {
  /** Early warning: time to look. */
  readonly warning: number;
  /** Act now: the level at which AWS starts to review accounts. */
  readonly critical: number;
}

/** The SES event types a configuration set can publish, as SES spells them in `MatchingEventTypes`. */
export type SesEventType = 'send' | 'reject' | 'bounce' | 'complaint' | 'delivery' | 'open' | 'click' | 'renderingFailure' | 'deliveryDelay' | 'subscription';

/** What happens to the stateful resources when the stack is deleted (the `removalPolicy` context flag's words). */
export type RemovalPolicyName = 'retain' | 'destroy';

/** Every default of the construct's props, in one place (and each tested once). */
export const DEFAULT_SETTINGS = {
  /** Short names: each SES name is the `configurationSetNamePrefix` prop followed by the short name. */
  managedConfigurationSetNames: DEFAULT_MANAGED_CONFIGURATION_SETS,
  existingConfigurationSetNames: [],
  eventTypes: ['bounce', 'complaint', 'deliveryDelay', 'reject'] satisfies SesEventType[],
  /** AWS reviews at 5 % and may pause at 10 %: warn at 3 %, critical at 5 %. */
  bounceRateThresholds: { warning: 0.03, critical: 0.05 } satisfies RateThresholds,
  /** AWS reviews at 0.1 % and may pause at 0.5 %: warn at 0.08 %, critical at 0.1 %. */
  complaintRateThresholds: { warning: 0.0008, critical: 0.001 } satisfies RateThresholds,
  alertEmails: [],
  softBounceThreshold: 5,
  /** Provider blocks (all configuration sets) per 15 minutes that raise the ProviderBlocks alarm. */
  providerBlockAlarmThreshold: 25,
  softBounceWindowInDays: 30,
  /**
   * How long an address stays suppressed when its soft bounces escalated (a full mailbox comes
   * back; hard bounces and complaints stay for good); 0 keeps it for good.
   */
  softBounceSuppressionPeriodInDays: 30,
  eventRetentionInDays: 365,
  removalPolicy: 'retain' satisfies RemovalPolicyName,
  campaignTagName: 'campaign',
  maxReceiveCount: 5,
  /** How long the writer gathers addresses before it writes them (SQS allows up to 300 s). */
  suppressionBatchingWindowInSeconds: 20,
  /** From this many addresses in one batch, an import job replaces single calls. */
  importThreshold: 25,
  /** Import files are deleted this long after they are written (the job has long ended). */
  importFileRetentionInDays: 14,
  reputationWatchIntervalInMinutes: 15,
} as const;

/** The guardrail's function: one alarm event, a few SES, DynamoDB, SNS and EventBridge calls. */
export const PAUSE_SENDING_SETTINGS = {
  /**
   * Managed sets (short names) the guardrail never pauses unless named: password resets and
   * receipts must keep flowing while a campaign's stream is stopped.
   */
  neverPausedByDefault: ['transactional'],
  memorySizeInMb: 256,
  /**
   * An account-wide alarm reads every configuration set of the account and pauses the pausable
   * ones: one SES call for each set and one more for each pausable set, within SES's ~1 request/s
   * ({@link sesRequestsPerSecond}): 10 minutes cover about 300 sets that are all pausable. A run cut
   * short is retried (twice) and goes faster, since a set found paused and recorded costs one call.
   */
  timeoutInSeconds: 600,
  /** How often the sets resumed on probation are judged on their rates since the resume (SES's rates are 15-minute datapoints here). */
  probationCheckIntervalInMinutes: 15,
  /** How long a resumed set is judged on probation at most; past it, a set still above its critical line and falling is judged by its alarms again. */
  probationMaxDays: 14,
  /** The guardrail's pace of SES calls: SES's account-wide rate for non-send actions. */
  sesRequestsPerSecond: 1,
  /** Lambda's asynchronous retries after a failed pause (the function alerts before each failure). */
  retryAttempts: 2,
} as const;

/** The managed sets the guardrail may pause by default: every one but {@link PAUSE_SENDING_SETTINGS}.neverPausedByDefault. */
export function defaultPausableSets(managedShortNames: readonly string[]): string[] {
  return managedShortNames.filter((name) => !(PAUSE_SENDING_SETTINGS.neverPausedByDefault as readonly string[]).includes(name));
}

/** Lines AWS itself uses, drawn on the dashboard (not alarmed: the alarms sit below them). */
export const AWS_ENFORCEMENT_LINES = {
  bounceRate: { review: 0.05, pause: 0.1 },
  complaintRate: { review: 0.001, pause: 0.005 },
} as const;

/**
 * How every function is bundled: esbuild, minified, a linked source map without sources, and the
 * AWS SDK v3 inside the bundle at the versions of package-lock.json, the ones the tests ran (the
 * Lambda runtime's SDK differs by region and date). `mainFields` takes the SDK's ES modules:
 * esbuild tree-shakes them (a third smaller than the CommonJS builds), and each client reports its
 * own version in its user agent (the CommonJS builds of these releases carry the one before).
 *
 * NodejsFunction reads it from a checkout (`lib/pipeline-function.ts`); `scripts/build-package.ts`
 * turns it into esbuild's options for the package's prebuilt bundles and for `npm run bench`.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  bundleAwsSDK: true,
  mainFields: ['module', 'main'],
} as const;

/** Sizing of the processing function and its queue, fixed by design (see README, "Throughput"). */
export const PROCESSING_SETTINGS = {
  memorySizeInMb: 256,
  timeoutInSeconds: 60,
  batchSize: 10,
  maxBatchingWindowInSeconds: 5,
  /** The processor makes no SES call (the writer does), so it may run wider than SES's rate. */
  maxConcurrency: 10,
  /** AWS SDK retries (AWS_RETRY_MODE / AWS_MAX_ATTEMPTS): adaptive mode rate-limits on the client after a 429. */
  sdkRetryMode: 'adaptive',
  sdkMaxAttempts: 8,
  oldestMessageAlarmAgeInMinutes: 15,
  logRetentionInDays: 90,
} as const;

/** Sizing of the suppression writer and its queue. */
export const SUPPRESSION_WRITER_SETTINGS = {
  memorySizeInMb: 512,
  /** Room for a batch of single calls at SES's rate, settled, within one run. */
  timeoutInMinutes: 3,
  /** SQS's largest batch for a standard queue (needs a batching window); Lambda's 6 MB payload limit may cut it. */
  batchSize: 10_000,
  /** Lambda's least for an SQS event source; the lease lets one run at a time write. */
  maxConcurrency: 2,
  /** The lease outlasts the function's timeout by this much: clock drift and Lambda's own shutdown. */
  leaseMarginInSeconds: 60,
  /** A batch that finds the lease held tries again this often, for up to `leaseRetryForInMs`... */
  leaseRetryEveryInMs: 500,
  leaseRetryForInMs: 10_000,
  /** ...then comes again after this. */
  leaseWaitInSeconds: 15,
  /**
   * Time one SES call may take from its start: its turn at the pacer (1 s), and its SDK attempts
   * ({@link SES_CLIENT_SETTINGS}: 3 of at most 1 s to connect and 4 s to answer, with backoff between).
   */
  sesCallBudgetInMs: 20_000,
  /** Time kept at the end of a run to settle what SES did (DynamoDB, EventBridge) and hand back the rest. */
  runReserveInMs: 10_000,
  /**
   * Time settling one row of an ended import job may take (a conditional PutItem in 32 lanes, an
   * event in a PutEvents of 10): a 100,000-row job needs 50 s of its run, so it fits a 3-minute run.
   */
  settleMsPerRowOfImport: 0.5,
  /** SES's account-wide rate for non-send actions (requests per second): the writer's whole, one run at a time. */
  sesAccountRequestsPerSecond: 1,
  /** Attempts per address before it is surfaced in the dead-letter queue. */
  maxAttempts: 3,
  /** First look at a new import job; each later look waits twice as long (at most 900 s). */
  followInitialDelayInSeconds: 10,
  /** Longer than the longest follow-up delay (900 s): only a stuck writer trips it. */
  oldestMessageAlarmAgeInMinutes: 30,
  /** How often an EventBridge schedule puts the tick that takes due temporary suppressions off the list. */
  expiryTickIntervalInMinutes: 5,
  /**
   * Removals one tick makes at most, one DeleteSuppressedDestination each: 150 per 5 minutes is
   * half of SES's rate, so new suppressions keep the other half ({@link expiryDrainHours}).
   */
  removalsPerTick: 150,
} as const;

/** The writer's SES client: short attempts, so a call's worst case fits {@link SUPPRESSION_WRITER_SETTINGS}.sesCallBudgetInMs. */
export const SES_CLIENT_SETTINGS = {
  maxAttempts: 3,
  /** Standard, not adaptive: the pacer already keeps to SES's rate, and adaptive mode would add client-side waits. */
  retryMode: 'standard',
  requestTimeoutInMs: 4_000,
  connectionTimeoutInMs: 1_000,
} as const;

/** How long the writer's lease is held: the function's timeout plus the margin. */
export function writerLeaseSeconds(timeoutInSeconds: number = SUPPRESSION_WRITER_SETTINGS.timeoutInMinutes * 60): number {
  return timeoutInSeconds + SUPPRESSION_WRITER_SETTINGS.leaseMarginInSeconds;
}

/** Hours an expiry wave of `addresses` takes to leave the list, at {@link SUPPRESSION_WRITER_SETTINGS}.removalsPerTick per tick. */
export function expiryDrainHours(addresses: number): number {
  const { removalsPerTick, expiryTickIntervalInMinutes } = SUPPRESSION_WRITER_SETTINGS;
  return (Math.ceil(addresses / removalsPerTick) * expiryTickIntervalInMinutes) / 60;
}

/** The reputation watcher function. */
export const REPUTATION_WATCHER_SETTINGS = {
  memorySizeInMb: 256,
  /** GetAccount, one GetMetricData, one Query, one PutItem and maybe one Publish. */
  timeoutInSeconds: 30,
} as const;

/** How long each queue keeps a message, in days. */
export const QUEUE_RETENTION_IN_DAYS = {
  /**
   * Queues that feed a function. A message still there after a week has had the oldest-message
   * alarms (15 and 30 minutes) firing for days: the week is for the cause to be fixed.
   */
  source: 7,
  /**
   * SQS's maximum, longer than every source: a message's age counts from its first enqueue, so a
   * dead-letter queue that kept no longer than its source would drop what moved there late.
   */
  deadLetter: 14,
} as const;

/**
 * The visibility timeout of a queue that feeds a Lambda function, in seconds: six times the
 * function's timeout plus the event source's batching window.
 *
 * AWS words the rule two ways: the Lambda and SQS developer guides ask for at least six times the
 * function timeout, and Lambda's earlier guidance adds the maximum batching window on top. This is
 * the stricter of the two, so it meets both. It is never below the function timeout, which Lambda
 * checks when it creates the event source mapping.
 */
export function eventSourceVisibilityTimeoutInSeconds(functionTimeoutInSeconds: number, batchingWindowInSeconds = 0): number {
  return 6 * functionTimeoutInSeconds + batchingWindowInSeconds;
}

/**
 * The process-feedback function's settings with every tunable at the stack's default, for the
 * given resources: what the local pipeline and the bench run with.
 */
export function defaultProcessFeedbackSettings(resources: Pick<ProcessFeedbackSettings, 'tableName' | 'deadLetterQueueUrl' | 'suppressionQueueUrl'>): ProcessFeedbackSettings {
  return {
    tableName: resources.tableName,
    deadLetterQueueUrl: resources.deadLetterQueueUrl,
    suppressionQueueUrl: resources.suppressionQueueUrl,
    softBounceThreshold: DEFAULT_SETTINGS.softBounceThreshold,
    softBounceWindowInDays: DEFAULT_SETTINGS.softBounceWindowInDays,
    eventRetentionInDays: DEFAULT_SETTINGS.eventRetentionInDays,
    campaignTagName: DEFAULT_SETTINGS.campaignTagName,
    maxReceiveCount: DEFAULT_SETTINGS.maxReceiveCount,
    sdkRetryMode: PROCESSING_SETTINGS.sdkRetryMode,
    sdkMaxAttempts: PROCESSING_SETTINGS.sdkMaxAttempts,
  };
}

/**
 * The suppression writer's settings with every tunable at the stack's default, for the given
 * resources: what the local pipeline and the bench run with.
 */
export function defaultSuppressionWriterSettings(
  resources: Pick<SuppressionWriterSettings, 'tableName' | 'deadLetterQueueUrl' | 'suppressionQueueUrl' | 'importBucketName' | 'eventBusName'>,
): SuppressionWriterSettings {
  return {
    tableName: resources.tableName,
    deadLetterQueueUrl: resources.deadLetterQueueUrl,
    suppressionQueueUrl: resources.suppressionQueueUrl,
    importBucketName: resources.importBucketName,
    eventBusName: resources.eventBusName,
    importThreshold: DEFAULT_SETTINGS.importThreshold,
    maxAttempts: SUPPRESSION_WRITER_SETTINGS.maxAttempts,
    followInitialSeconds: SUPPRESSION_WRITER_SETTINGS.followInitialDelayInSeconds,
    sesRequestsPerSecond: SUPPRESSION_WRITER_SETTINGS.sesAccountRequestsPerSecond,
    leaseSeconds: writerLeaseSeconds(),
    leaseWaitSeconds: SUPPRESSION_WRITER_SETTINGS.leaseWaitInSeconds,
    sesCallBudgetMs: SUPPRESSION_WRITER_SETTINGS.sesCallBudgetInMs,
    runReserveMs: SUPPRESSION_WRITER_SETTINGS.runReserveInMs,
    maxReceiveCount: DEFAULT_SETTINGS.maxReceiveCount,
    temporarySuppressionSeconds: DEFAULT_SETTINGS.softBounceSuppressionPeriodInDays * 86_400,
    eventRetentionInDays: DEFAULT_SETTINGS.eventRetentionInDays,
    sdkRetryMode: PROCESSING_SETTINGS.sdkRetryMode,
    sdkMaxAttempts: PROCESSING_SETTINGS.sdkMaxAttempts,
  };
}
