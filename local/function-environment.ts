import { pauseSendingEnvironment, processFeedbackEnvironment, reputationWatcherEnvironment, suppressionWriterEnvironment } from '../lambdas/shared/contract.js';
import { DEFAULT_SETTINGS, eventSourceVisibilityTimeoutInSeconds, defaultProcessFeedbackSettings, defaultSuppressionWriterSettings, PROCESSING_SETTINGS, SUPPRESSION_WRITER_SETTINGS } from '../lambdas/shared/settings.js';
import type { MeteredService } from './call-meter.js';
import { LOCAL_CLIENT_CONFIG } from './dynamodb-local.js';
import type { FunctionName, LocalFunction } from './function-worker.js';
import type { LocalPipelineOptions } from './pipeline-options.js';
import { localGuardrailSettings } from './reputation-alarms.js';
import { localSeconds, type LocalResources } from './resources.js';
import { IMPORT_JOB_START_SECONDS } from './ses-server.js';

/** What a local function's environment is made of. */
export interface LocalRun {
  readonly resources: LocalResources;
  readonly options: LocalPipelineOptions;
  /** Local time runs this many times faster than the stack's ({@link LocalPipelineOptions.timeCompression}). */
  readonly compression: number;
  /** Where each service answers: the call meter's front when it counts, the service itself otherwise. */
  readonly endpoints: Readonly<Record<MeteredService, string>>;
}

/**
 * The environment a worker runs a function with: what the stack sets (from the shared contract and
 * settings, not a second copy), with durations compressed, plus the local endpoints and what the
 * worker needs to poll the function's queue as Lambda's event source mapping would.
 */
export function functionEnvironment(fn: LocalFunction | 'watch-reputation' | 'pause-sending', run: LocalRun): Record<string, string> {
  const { resources, options, compression, endpoints } = run;
  const handler: FunctionName = fn;
  const local = {
    AWS_REGION: LOCAL_CLIENT_CONFIG.region,
    AWS_ACCESS_KEY_ID: LOCAL_CLIENT_CONFIG.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CLIENT_CONFIG.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SESV2: endpoints.sesv2,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_CLOUDWATCH: endpoints.cloudwatch,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // The SDK puts `app/<id>` in its User-Agent: the call meter attributes each call to its function.
    AWS_SDK_UA_APP_ID: handler,
    LOCAL_HANDLER: handler,
  };
  if (fn === 'pause-sending') {
    return {
      ...pauseSendingEnvironment({
        tableName: resources.tableName,
        alertTopicArn: resources.alertTopicArn,
        eventBusName: 'default',
        retentionInDays: DEFAULT_SETTINGS.eventRetentionInDays,
        settingsJson: JSON.stringify(localGuardrailSettings()),
      }),
      ...local,
    };
  }
  if (fn === 'watch-reputation') {
    return {
      ...reputationWatcherEnvironment({ tableName: resources.tableName, alertTopicArn: resources.alertTopicArn, snapshotRetentionInDays: DEFAULT_SETTINGS.eventRetentionInDays }),
      ...local,
    };
  }
  // The stack's settings; local runs may lower the receives and the SDK's attempts, and compress time.
  const maxReceiveCount = options.maxReceiveCount ?? DEFAULT_SETTINGS.maxReceiveCount;
  const processing = defaultProcessFeedbackSettings(resources);
  const sdkMaxAttempts = options.sdkMaxAttempts ?? processing.sdkMaxAttempts;
  if (fn === 'process-feedback') {
    return {
      ...processFeedbackEnvironment({ ...processing, maxReceiveCount, sdkMaxAttempts }),
      ...local,
      LOCAL_FUNCTION_TIMEOUT_MS: String(
        localFunctionTimeoutMs(
          PROCESSING_SETTINGS.timeoutInSeconds,
          eventSourceVisibilityTimeoutInSeconds(PROCESSING_SETTINGS.timeoutInSeconds, PROCESSING_SETTINGS.maxBatchingWindowInSeconds),
          compression,
        ),
      ),
      LOCAL_QUEUE_URL: resources.queueUrl,
      LOCAL_QUEUE_ARN: resources.queueArn,
      LOCAL_POLLERS: String(PROCESSING_SETTINGS.maxConcurrency),
      LOCAL_BATCH_SIZE: String(PROCESSING_SETTINGS.batchSize),
    };
  }
  // The writer parks in the suppression queue's own dead-letter queue.
  const writer = defaultSuppressionWriterSettings({ ...resources, deadLetterQueueUrl: resources.suppressionDeadLetterQueueUrl, eventBusName: 'default' });
  const writerTimeoutInSeconds = SUPPRESSION_WRITER_SETTINGS.timeoutInMinutes * 60;
  const timeoutMs = localFunctionTimeoutMs(writerTimeoutInSeconds, eventSourceVisibilityTimeoutInSeconds(writerTimeoutInSeconds, suppressionBatchingWindowInSeconds(options)), compression);
  return {
    ...suppressionWriterEnvironment({
      ...writer,
      importThreshold: options.importThreshold ?? writer.importThreshold,
      temporarySuppressionSeconds: options.temporarySuppressionSeconds ?? writer.temporarySuppressionSeconds,
      // Not before a local job of the scenario's size (a few thousand rows) has ended: the job's
      // one-second start is real time, not compressed. The follow-up is sent before the job is
      // created, so a first look at that second would find every job running and double the looks
      // the bench counts.
      followInitialSeconds: Math.max(writer.followInitialSeconds / compression, 2 * IMPORT_JOB_START_SECONDS),
      sesRequestsPerSecond: SUPPRESSION_WRITER_SETTINGS.sesAccountRequestsPerSecond * compression,
      // The lease outlasts the local timeout as the stack's outlasts the function's.
      leaseSeconds: Math.ceil(timeoutMs / 1000) + Math.max(2, Math.ceil(SUPPRESSION_WRITER_SETTINGS.leaseMarginInSeconds / compression)),
      leaseWaitSeconds: Math.max(1, Math.round(SUPPRESSION_WRITER_SETTINGS.leaseWaitInSeconds / compression)),
      // A local call takes milliseconds; the budget still leaves a local run most of its time for calls.
      sesCallBudgetMs: Math.max(1_000, Math.round(SUPPRESSION_WRITER_SETTINGS.sesCallBudgetInMs / compression)),
      runReserveMs: Math.max(2_000, Math.round(SUPPRESSION_WRITER_SETTINGS.runReserveInMs / compression)),
      maxReceiveCount,
      sdkMaxAttempts,
    }),
    ...local,
    LOCAL_FUNCTION_TIMEOUT_MS: String(timeoutMs),
    // Lambda's pollers, each invocation in its own sandbox: the lease lets one of them write at a time.
    LOCAL_POLLERS: String(SUPPRESSION_WRITER_SETTINGS.maxConcurrency),
    LOCAL_QUEUE_URL: resources.suppressionQueueUrl,
    LOCAL_QUEUE_ARN: resources.suppressionQueueArn,
    LOCAL_BATCH_SIZE: String(SUPPRESSION_WRITER_SETTINGS.batchSize),
    LOCAL_BATCHING_WINDOW_MS: String(Math.round((suppressionBatchingWindowInSeconds(options) * 1000) / compression)),
  };
}

/**
 * Wall time no local invocation is cut short before, whatever the compression. Divided by 60 (what
 * `npm start` uses), the processing function's 30 s are half a second, in which a batch on a
 * shared 2-core machine (ten sandboxes, DynamoDB Local's JVM, fauxqs) cannot count on finishing:
 * timeouts there are the machine's pauses, not the code's, and every one re-runs a batch.
 */
export const LOCAL_MIN_FUNCTION_TIMEOUT_MS = 10_000;

/**
 * A function's local timeout in ms: its timeout divided by the compression, raised to
 * {@link LOCAL_MIN_FUNCTION_TIMEOUT_MS}, but never past its queue's local visibility timeout, as
 * Lambda requires of an event source (a record must not come back while its invocation runs).
 */
export function localFunctionTimeoutMs(timeoutInSeconds: number, visibilityTimeoutInSeconds: number, compression: number): number {
  const compressed = Math.round((timeoutInSeconds * 1000) / compression);
  return Math.min(localSeconds(visibilityTimeoutInSeconds, compression) * 1000, Math.max(compressed, LOCAL_MIN_FUNCTION_TIMEOUT_MS));
}

/** The suppression writer's batching window, in stack seconds. */
export function suppressionBatchingWindowInSeconds(options: LocalPipelineOptions): number {
  return options.suppressionBatchingWindowSeconds ?? DEFAULT_SETTINGS.suppressionBatchingWindowInSeconds;
}
