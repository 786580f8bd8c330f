import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FeedbackMetrics } from './adapters/feedback-metrics.js';
import { MalformedMessageError, SuppressionRejectedError } from '../shared/errors.js';
import { maskAddress, redactAddresses } from '../shared/address.js';
import { readSqsBody } from './envelope.js';
import { type DeadLetters, type SuppressionRequests } from '../shared/ports.js';
import { type FeedbackProcessor } from './feedback-processor.js';
import { type SuppressionEntry } from '../shared/suppression.js';

/** What one invocation decided, for its one summary log line. */
interface BatchTally {
  suppress: number;
  count: number;
  record: number;
  duplicates: number;
  /** Recipients parked in the dead-letter queue while the rest of their message went on. */
  parked: number;
}

export interface ProcessFeedbackDependencies {
  readonly processor: FeedbackProcessor;
  /** Where addresses to suppress go: the suppression writer's queue. */
  readonly suppressions: SuppressionRequests;
  readonly deadLetters: DeadLetters;
  readonly logger: Logger;
  readonly metrics: FeedbackMetrics;
  /**
   * The queue's maxReceiveCount: a record that fails on its last receive is parked by the handler,
   * with the error as its reason, instead of being moved to the dead-letter queue by SQS without one.
   */
  readonly maxReceiveCount: number;
}

/**
 * The SQS handler: each record read, classified and applied on its own.
 *
 * Per recipient, never per message: a recipient that cannot be decided (an address SES would refuse,
 * a record the audit trail refuses) is parked in the dead-letter queue with a reason naming it
 * (masked), and the message's other recipients go on. A record that no retry can fix (malformed)
 * is parked with its reason and counts as done; any other failure is reported as a batch item
 * failure, so SQS redelivers it, and on its last receive it is parked with the last error as reason.
 *
 * The addresses to suppress of every record that succeeded go to the suppression writer in one
 * message at the end of the batch; if that send fails, those records fail too and come back.
 */
export function createProcessFeedbackHandler(deps: ProcessFeedbackDependencies) {
  const { processor, suppressions, deadLetters, logger, metrics, maxReceiveCount } = deps;

  const park = async (record: SQSRecord, reason: string, error: string): Promise<void> => {
    const masked = redactAddresses(reason);
    await deadLetters.park(record.body, masked, record.messageId);
    logger.error('parked in the dead-letter queue', { sqsMessageId: record.messageId, error, reason: masked });
  };

  /** One record; what it asks to suppress goes into `requested`, handed over at the end of the batch. */
  const handleRecord = async (record: SQSRecord, requested: Map<string, SuppressionEntry[]>, withdrawn: Map<string, string[]>, tally: BatchTally): Promise<void> => {
    try {
      const parked: string[] = [];
      for (const input of readSqsBody(record.body, record.attributes.SentTimestamp)) {
        if (input.kind === 'not-feedback') {
          metrics.addNotFeedback();
          logger.info('not feedback; skipped', { sqsMessageId: record.messageId, why: input.why });
          continue;
        }
        const processed = await processor.process(input.message);
        if (processed.suppressions.length > 0) requested.set(record.messageId, [...(requested.get(record.messageId) ?? []), ...processed.suppressions]);
        if (processed.withdrawals.length > 0) withdrawn.set(record.messageId, [...(withdrawn.get(record.messageId) ?? []), ...processed.withdrawals]);
        metrics.add(processed);
        for (const { decision, duplicate } of processed.applied) {
          tally[decision.action]++;
          if (duplicate) tally.duplicates++;
        }
        for (const p of processed.parked) parked.push(p.reason);
        // Per record at DEBUG only: the audit trail holds every decision, and a line per record was
        // 40 % of the pipeline's CloudWatch Logs bill (`npm run bench`). POWERTOOLS_LOG_LEVEL=DEBUG shows them.
        logger.debug('feedback applied', {
          sqsMessageId: record.messageId,
          messageId: redactAddresses(input.message.mail.messageId),
          eventType: redactAddresses(input.message.eventType),
          configurationSet: processed.configurationSet === undefined ? undefined : redactAddresses(processed.configurationSet),
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
      if (parked.length > 0) {
        tally.parked += parked.length;
        const more = parked.length > 3 ? `; and ${parked.length - 3} more` : '';
        await park(record, `${parked.length} recipient(s) parked, the others applied: ${parked.slice(0, 3).join('; ')}${more}`, 'RecipientsParked');
      }
    } catch (error) {
      if (error instanceof MalformedMessageError || error instanceof SuppressionRejectedError) {
        await park(record, error.message, error.name);
        metrics.addMalformed();
        return;
      }
      const receives = Number(record.attributes.ApproximateReceiveCount);
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (receives >= maxReceiveCount) {
        // SQS would move it to the DLQ without a word: park it with the reason instead.
        await park(record, `failed on each of its ${receives} receives; the last time: ${reason}`, 'RetriesExhausted');
        return;
      }
      logger.warn('record failed; left on the queue for retry', {
        sqsMessageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: error instanceof Error ? error.name : 'Error',
        reason: redactAddresses(reason),
      });
      throw error;
    }
  };

  /** Hands the batch's addresses over in one message; if that fails, their records are retried. */
  const handOver = async (response: SQSBatchResponse, requested: Map<string, SuppressionEntry[]>, withdrawn: Map<string, string[]>): Promise<SQSBatchResponse> => {
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const handed = [...requested].filter(([messageId]) => !failed.has(messageId));
    const withdrawals = [...withdrawn].filter(([messageId]) => !failed.has(messageId));
    if (handed.length === 0 && withdrawals.length === 0) return response;
    try {
      if (handed.length > 0) await suppressions.request(handed.flatMap(([, entries]) => entries));
    } catch (error) {
      return handOverFailed(response, [...handed, ...withdrawals].map(([id]) => id), error);
    }
    try {
      if (withdrawals.length > 0) await suppressions.withdraw(withdrawals.flatMap(([, addresses]) => addresses));
      return response;
    } catch (error) {
      // What was requested is on its way: only the records that withdrew are retried.
      return handOverFailed(response, withdrawals.map(([id]) => id), error);
    }
  };

  const handOverFailed = (response: SQSBatchResponse, ids: readonly string[], error: unknown): SQSBatchResponse => {
    const records = [...new Set(ids)];
    logger.warn('could not hand addresses to the suppression writer; their records are retried', {
      records: records.length,
      error: error instanceof Error ? error.name : 'Error',
      reason: redactAddresses(error instanceof Error ? error.message : String(error)),
    });
    return { batchItemFailures: [...response.batchItemFailures, ...records.map((itemIdentifier) => ({ itemIdentifier }))] };
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // Per invocation, not per module: the processor's state must not be shared by invocations
    // that overlap (several pollers in one local worker, or Lambda's multi-concurrency modes).
    const batch = new BatchProcessor(EventType.SQS);
    const requested = new Map<string, SuppressionEntry[]>();
    const withdrawn = new Map<string, string[]>();
    const tally: BatchTally = { suppress: 0, count: 0, record: 0, duplicates: 0, parked: 0 };
    try {
      // A batch whose every record failed is reported like any partial failure rather than thrown,
      // so the function's Errors metric means a crash or timeout, not one throttled record.
      const processed = await processPartialResponse(event, (record: SQSRecord) => handleRecord(record, requested, withdrawn, tally), batch, {
        context,
        throwOnFullBatchFailure: false,
      });
      const response = await handOver(processed, requested, withdrawn);
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
