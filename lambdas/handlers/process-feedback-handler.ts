import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FeedbackMetrics } from '../adapters/feedback-metrics.js';
import type { DeadLetters } from '../adapters/sqs-dead-letters.js';
import {
  MalformedMessageError,
  SuppressionRejectedError,
  maskAddress,
  readSqsBody,
  redactAddresses,
  type FeedbackProcessor,
  type SuppressionEntry,
  type SuppressionRequests,
} from '../domain/index.js';

/** What one invocation decided, for its one summary log line. */
interface BatchTally {
  suppress: number;
  count: number;
  record: number;
  duplicates: number;
}

export interface ProcessFeedbackDependencies {
  readonly processor: FeedbackProcessor;
  /** Where addresses to suppress go: the suppression writer's queue. */
  readonly suppressions: SuppressionRequests;
  readonly deadLetters: DeadLetters;
  readonly logger: Logger;
  readonly metrics: FeedbackMetrics;
}

/**
 * The SQS handler: each record read, classified and applied on its own.
 *
 * A record that no retry can fix (malformed, or refused by SES) is parked in the dead-letter queue
 * with its reason and counts as done; any other failure is reported as a batch item failure, so
 * SQS redelivers it and, after the queue's maxReceiveCount, moves it to the same dead-letter queue.
 *
 * The addresses to suppress of every record that succeeded go to the suppression writer in one
 * message at the end of the batch; if that send fails, those records fail too and come back.
 */
export function createProcessFeedbackHandler(deps: ProcessFeedbackDependencies) {
  const { processor, suppressions, deadLetters, logger, metrics } = deps;

  /** One record; what it asks to suppress goes into `requested`, handed over at the end of the batch. */
  const handleRecord = async (record: SQSRecord, requested: Map<string, SuppressionEntry[]>, tally: BatchTally): Promise<void> => {
    try {
      for (const input of readSqsBody(record.body)) {
        if (input.kind === 'not-feedback') {
          logger.info('not feedback; skipped', { sqsMessageId: record.messageId, why: input.why });
          continue;
        }
        const processed = await processor.process(input.message);
        if (processed.suppressions.length > 0) requested.set(record.messageId, [...(requested.get(record.messageId) ?? []), ...processed.suppressions]);
        metrics.add(processed);
        for (const { decision, duplicate } of processed.applied) {
          tally[decision.action]++;
          if (duplicate) tally.duplicates++;
        }
        // Per record at DEBUG only: the audit trail holds every decision, and a line per record was
        // 40 % of the pipeline's CloudWatch Logs bill (`npm run bench`). POWERTOOLS_LOG_LEVEL=DEBUG shows them.
        logger.debug('feedback applied', {
          sqsMessageId: record.messageId,
          messageId: input.message.mail.messageId,
          eventType: input.message.eventType,
          configurationSet: processed.configurationSet,
          decisions: processed.applied.map(({ decision, duplicate, suppress, escalated }) => ({
            address: maskAddress(decision.address),
            action: decision.action,
            rule: decision.rule,
            duplicate,
            ...(suppress ? { suppress } : {}),
            ...(escalated ? { escalated } : {}),
          })),
        });
      }
    } catch (error) {
      if (error instanceof MalformedMessageError || error instanceof SuppressionRejectedError) {
        const reason = redactAddresses(error.message);
        await deadLetters.park(record.body, reason, record.messageId);
        metrics.addMalformed();
        logger.error('record parked in the dead-letter queue', { sqsMessageId: record.messageId, error: error.name, reason });
        return;
      }
      logger.warn('record failed; left on the queue for retry', {
        sqsMessageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: error instanceof Error ? error.name : 'Error',
        reason: redactAddresses(error instanceof Error ? error.message : String(error)),
      });
      throw error;
    }
  };

  /** Hands the batch's addresses over in one message; if that fails, their records are retried. */
  const handOver = async (response: SQSBatchResponse, requested: Map<string, SuppressionEntry[]>): Promise<SQSBatchResponse> => {
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const handed = [...requested].filter(([messageId]) => !failed.has(messageId));
    if (handed.length === 0) return response;
    try {
      await suppressions.request(handed.flatMap(([, entries]) => entries));
      return response;
    } catch (error) {
      logger.warn('could not hand addresses to the suppression writer; their records are retried', {
        records: handed.length,
        error: error instanceof Error ? error.name : 'Error',
        reason: redactAddresses(error instanceof Error ? error.message : String(error)),
      });
      return { batchItemFailures: [...response.batchItemFailures, ...handed.map(([itemIdentifier]) => ({ itemIdentifier }))] };
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // Per invocation, not per module: the processor's state must not be shared by invocations
    // that overlap (several pollers in one local worker, or Lambda's multi-concurrency modes).
    const batch = new BatchProcessor(EventType.SQS);
    const requested = new Map<string, SuppressionEntry[]>();
    const tally: BatchTally = { suppress: 0, count: 0, record: 0, duplicates: 0 };
    try {
      // A batch whose every record failed is reported like any partial failure rather than thrown,
      // so the function's Errors metric means a crash or timeout, not one throttled record.
      const processed = await processPartialResponse(event, (record: SQSRecord) => handleRecord(record, requested, tally), batch, {
        context,
        throwOnFullBatchFailure: false,
      });
      const response = await handOver(processed, requested);
      logger.info('batch processed', {
        records: event.Records.length,
        failed: response.batchItemFailures.length,
        decisions: tally,
        handedOver: [...requested.values()].reduce((sum, entries) => sum + entries.length, 0),
      });
      return response;
    } finally {
      metrics.publish();
    }
  };
}
