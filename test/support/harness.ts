import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { FeedbackMetrics } from '../../lambdas/process-feedback/adapters/feedback-metrics.js';
import { SuppressionWriterMetrics } from '../../lambdas/write-suppressions/adapters/writer-metrics.js';
import { PIPELINE_METRICS } from '../../lambdas/shared/contract.js';
import { FeedbackProcessor } from '../../lambdas/process-feedback/feedback-processor.js';
import { SuppressionWriter } from '../../lambdas/write-suppressions/suppression-writer.js';
import { type SoftBouncePolicy } from '../../lambdas/process-feedback/soft-bounce-policy.js';
import { createProcessFeedbackHandler } from '../../lambdas/process-feedback/handler.js';
import { createWriteSuppressionsHandler } from '../../lambdas/write-suppressions/handler.js';
import { FakeDeadLetters, FakeOperatorRequests, FakeSuppressionImports, FakeSuppressionList, InMemoryFeedbackStore, InMemorySuppressionLedger, InMemorySuppressionQueues, InMemoryWriterLease, ManualClock, RecordedAnnouncements } from './fakes.js';
import type { Context } from 'aws-lambda';
import { lambdaContext, sqsEvent, sqsRecord } from './sqs.js';

export const VISIBILITY_TIMEOUT_SECONDS = 360;
export const MAX_RECEIVE_COUNT = 5;
export const IMPORT_THRESHOLD = 25;
/** The stack's default: a suppression that soft bounces escalated ends after 30 days. */
export const TEMPORARY_FOR_SECONDS = 30 * 86_400;

export interface HarnessOptions {
  readonly policy?: SoftBouncePolicy;
  readonly importThreshold?: number;
  readonly maxAttempts?: number;
  readonly maxLooks?: number;
  readonly temporaryForSeconds?: number;
  readonly removalsPerTick?: number;
  /** What each writer run has left, in ms (default: plenty). */
  readonly timeLeft?: () => number;
  /** Called at each wait of a batch that found the lease held (a test ends the other run here). */
  readonly onLeaseRetry?: () => Promise<void> | void;
}

/** The writer's run budget in the harness: a call needs 1 s, the run keeps 1 s. */
export const RUN_BUDGET = { callMs: 1_000, reserveMs: 1_000, settleMsPerRow: 0.5 };

/** Both real handlers (process-feedback, write-suppressions) and their domain services over fakes of every port. */
export function createHarness(options: HarnessOptions = {}) {
  const store = new InMemoryFeedbackStore();
  const ses = new FakeSuppressionList();
  const imports = new FakeSuppressionImports(ses);
  const ledger = new InMemorySuppressionLedger();
  const queues = new InMemorySuppressionQueues();
  const deadLetters = new FakeDeadLetters();
  const announcements = new RecordedAnnouncements();
  const clock = new ManualClock();
  const lease = new InMemoryWriterLease(clock.now);
  const operatorRequests = new FakeOperatorRequests(ledger);
  const logger = new Logger({ serviceName: PIPELINE_METRICS.serviceName, logLevel: 'DEBUG' });
  const metrics = new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.serviceName });
  const processor = new FeedbackProcessor({
    store,
    softBouncePolicy: options.policy ?? { threshold: 5, windowInDays: 30 },
    campaignTagName: 'campaign',
    clock: clock.now,
  });
  const handler = createProcessFeedbackHandler({ processor, suppressions: queues, deadLetters, logger, metrics: new FeedbackMetrics(metrics), maxReceiveCount: MAX_RECEIVE_COUNT });
  const writer = new SuppressionWriter({
    ledger,
    escalations: store,
    list: ses,
    imports,
    queue: queues,
    announcements,
    operatorRequests,
    importThreshold: options.importThreshold ?? IMPORT_THRESHOLD,
    maxRowsPerImport: 100_000,
    temporaryForSeconds: options.temporaryForSeconds ?? TEMPORARY_FOR_SECONDS,
    removalsPerTick: options.removalsPerTick ?? 150,
    maxAttempts: options.maxAttempts ?? 3,
    maxLooks: options.maxLooks ?? 100,
    followDelay: { initialSeconds: 10, maxSeconds: 900 },
    runBudget: RUN_BUDGET,
    clock: clock.now,
  });
  const writerHandler = createWriteSuppressionsHandler({
    writer,
    lease,
    queue: queues,
    deadLetters,
    logger,
    metrics: new SuppressionWriterMetrics(metrics),
    maxReceiveCount: MAX_RECEIVE_COUNT,
    leaseWaitSeconds: 15,
    leaseRetry: { everyMs: 500, forMs: 10_000 },
    sleep: async (ms) => {
      clock.advanceSeconds(ms / 1000);
      await options.onLeaseRetry?.();
    },
  });
  let runs = 0;
  const writerContext = (): Context => ({ ...lambdaContext, functionName: 'write-suppressions', awsRequestId: `writer-run-${++runs}`, getRemainingTimeInMillis: options.timeLeft ?? (() => 180_000) });

  const invoke = (...records: SQSRecord[]): Promise<SQSBatchResponse> => handler(sqsEvent(...records), lambdaContext);
  const invokeWriter = (...records: SQSRecord[]): Promise<SQSBatchResponse> => writerHandler(sqsEvent(...records), writerContext());

  /**
   * Delivers bodies through one handler the way an SQS event source does: batches, redelivery of
   * failed records after the visibility timeout, redrive to the dead-letter queue after MAX_RECEIVE_COUNT.
   */
  async function deliver(
    call: (...records: SQSRecord[]) => Promise<SQSBatchResponse>,
    bodies: string[],
    batchSize: number,
  ): Promise<{ redriven: string[]; invocations: number }> {
    let pending = bodies.map((body) => sqsRecord(body));
    const redriven: string[] = [];
    let invocations = 0;
    while (pending.length > 0) {
      const failed: SQSRecord[] = [];
      for (let i = 0; i < pending.length; i += batchSize) {
        const batch = pending.slice(i, i + batchSize);
        invocations++;
        let failedIds: Set<string>;
        try {
          const response = await call(...batch);
          failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        } catch {
          failedIds = new Set(batch.map((r) => r.messageId)); // whole batch failed
        }
        failed.push(...batch.filter((r) => failedIds.has(r.messageId)));
      }
      clock.advanceSeconds(VISIBILITY_TIMEOUT_SECONDS);
      pending = [];
      for (const record of failed) {
        const count = Number(record.attributes.ApproximateReceiveCount);
        if (count >= MAX_RECEIVE_COUNT) redriven.push(record.body);
        else pending.push(sqsRecord(record.body, count + 1, record.messageId));
      }
    }
    return { redriven, invocations };
  }

  /** Runs the writer over everything on its queue until it is empty (each round: batches of up to 10,000; delays pass). */
  async function settle(): Promise<{ redriven: string[]; invocations: number }> {
    const redriven: string[] = [];
    let invocations = 0;
    while (queues.requests.length > 0) {
      const bodies = queues.requests.splice(0).map((r) => r.body);
      const result = await deliver(invokeWriter, bodies, 10_000);
      redriven.push(...result.redriven);
      invocations += result.invocations;
    }
    return { redriven, invocations };
  }

  /** Feedback through process-feedback only: what it hands to the writer waits on the writer's queue. */
  const process = (bodies: string[], batchSize = 10): Promise<{ redriven: string[]; invocations: number }> => deliver(invoke, bodies, batchSize);

  /** Feedback through process-feedback, then the writer until nothing is left. */
  async function drain(bodies: string[], batchSize = 10): Promise<{ redriven: string[]; invocations: number; writerRedriven: string[] }> {
    const processed = await deliver(invoke, bodies, batchSize);
    const written = await settle();
    return { ...processed, writerRedriven: written.redriven };
  }

  return { store, ses, imports, ledger, queues, lease, operatorRequests, deadLetters, announcements, clock, handler, invoke, invokeWriter, writer, process, drain, settle };
}
