import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { FeedbackMetrics } from '../../lambdas/adapters/feedback-metrics.js';
import { PIPELINE_METRICS } from '../../lambdas/contract.js';
import { FeedbackProcessor, type SoftBouncePolicy } from '../../lambdas/domain/index.js';
import { createProcessFeedbackHandler } from '../../lambdas/handlers/process-feedback-handler.js';
import { FakeDeadLetters, FakeSuppressionList, InMemoryFeedbackStore, ManualClock } from './fakes.js';
import { lambdaContext, sqsEvent, sqsRecord } from './sqs.js';

export const LEASE_SECONDS = 90;
export const VISIBILITY_TIMEOUT_SECONDS = 360;
export const MAX_RECEIVE_COUNT = 5;

/** The real handler and processor over fakes of every port. */
export function createHarness(policy: SoftBouncePolicy = { threshold: 5, windowInDays: 30 }) {
  const store = new InMemoryFeedbackStore();
  const ses = new FakeSuppressionList();
  const deadLetters = new FakeDeadLetters();
  const clock = new ManualClock();
  const processor = new FeedbackProcessor({
    store,
    suppressionList: ses,
    softBouncePolicy: policy,
    campaignTagName: 'campaign',
    suppressionLeaseInSeconds: LEASE_SECONDS,
    clock: clock.now,
  });
  const handler = createProcessFeedbackHandler({
    processor,
    deadLetters,
    logger: new Logger({ serviceName: PIPELINE_METRICS.serviceName, logLevel: 'DEBUG' }),
    metrics: new FeedbackMetrics(new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.serviceName })),
  });
  const invoke = (...records: SQSRecord[]): Promise<SQSBatchResponse> => handler(sqsEvent(...records), lambdaContext);

  /**
   * Delivers bodies the way an SQS event source does: batches, redelivery of failed records after
   * the visibility timeout, and redrive to the queue's dead-letter queue after MAX_RECEIVE_COUNT.
   */
  async function drain(bodies: string[], batchSize = 10): Promise<{ redriven: string[]; invocations: number }> {
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
          const response = await invoke(...batch);
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

  return { store, ses, deadLetters, clock, handler, invoke, drain };
}
