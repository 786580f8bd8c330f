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
} from '../domain/index.js';

export interface ProcessFeedbackDependencies {
  readonly processor: FeedbackProcessor;
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
 */
export function createProcessFeedbackHandler(deps: ProcessFeedbackDependencies) {
  const { processor, deadLetters, logger, metrics } = deps;
  const batch = new BatchProcessor(EventType.SQS);

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    try {
      for (const input of readSqsBody(record.body)) {
        if (input.kind === 'not-feedback') {
          logger.info('not feedback; skipped', { sqsMessageId: record.messageId, why: input.why });
          continue;
        }
        const processed = await processor.process(input.message);
        metrics.add(processed);
        logger.info('feedback applied', {
          sqsMessageId: record.messageId,
          messageId: input.message.mail.messageId,
          eventType: input.message.eventType,
          configurationSet: processed.configurationSet,
          decisions: processed.applied.map(({ decision, duplicate, suppressed, escalated }) => ({
            address: maskAddress(decision.address),
            action: decision.action,
            rule: decision.rule,
            duplicate,
            ...(suppressed ? { suppressed } : {}),
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

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    try {
      // A batch whose every record failed is reported like any partial failure rather than thrown,
      // so the function's Errors metric means a crash or timeout, not one throttled record.
      return await processPartialResponse(event, handleRecord, batch, { context, throwOnFullBatchFailure: false });
    } finally {
      metrics.publish();
    }
  };
}
