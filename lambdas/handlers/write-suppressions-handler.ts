import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { PIPELINE_METRICS } from '../contract.js';
import type { SuppressionWriterMetrics } from '../adapters/feedback-metrics.js';
import type { DeadLetters } from '../adapters/sqs-dead-letters.js';
import {
  MalformedMessageError,
  readSuppressionMessage,
  redactAddresses,
  type ImportJobRef,
  type SuppressionEntry,
  type SuppressionWriter,
} from '../domain/index.js';

export interface WriteSuppressionsDependencies {
  readonly writer: SuppressionWriter;
  readonly deadLetters: DeadLetters;
  readonly logger: Logger;
  readonly metrics: SuppressionWriterMetrics;
}

const { names } = PIPELINE_METRICS;

/**
 * The suppression queue's handler. Every address of the whole batch (up to 10,000 messages over
 * the batching window) is written in one go, so a flood becomes a few import jobs; import jobs
 * are looked at when their follow-up message arrives.
 *
 * Failure handling: a message that cannot be read, and addresses SES refused for good, go to the
 * dead-letter queue with their reason; a message whose addresses were not done (SES throttled or
 * failed) is reported as a batch item failure and comes back. Nothing is dropped.
 */
export function createWriteSuppressionsHandler(deps: WriteSuppressionsDependencies) {
  const { writer, deadLetters, logger, metrics } = deps;

  const park = async (entries: ReadonlyArray<{ entry: SuppressionEntry; why: string }>, attempt: number, sourceMessageId: string): Promise<void> => {
    if (entries.length === 0) return;
    const reason = redactAddresses(`${entries.length} address(es) not suppressed: ${entries[0]?.why ?? ''}`);
    await deadLetters.park(JSON.stringify({ type: 'suppress', entries: entries.map((e) => e.entry), attempt }), reason, sourceMessageId);
    metrics.add(names.suppressionsRejected, entries.length);
    logger.error('addresses parked in the dead-letter queue', { count: entries.length, reason });
  };

  const writeAll = async (records: ReadonlyArray<{ record: SQSRecord; entries: readonly SuppressionEntry[]; attempt: number }>): Promise<string[]> => {
    const failed: string[] = [];
    const byAttempt = new Map<number, typeof records>();
    for (const r of records) byAttempt.set(r.attempt, [...(byAttempt.get(r.attempt) ?? []), r]);
    for (const [attempt, group] of byAttempt) {
      try {
        const outcome = await writer.write(group.flatMap((r) => r.entries), attempt);
        metrics.add(names.suppressions, outcome.suppressed.length);
        metrics.add(names.suppressionsSkipped, outcome.skipped);
        metrics.add(names.importJobs, outcome.imports.length);
        await park(outcome.rejected, attempt, group[0]?.record.messageId ?? '');
        const notDone = new Set(outcome.retryLater.map((e) => e.address));
        const retried = group.filter((r) => r.entries.some((e) => notDone.has(e.address.toLowerCase())));
        failed.push(...retried.map((r) => r.record.messageId));
        if (retried.length > 0) {
          logger.warn('SES failed part-way; messages left on the queue for retry', { messages: retried.length, addresses: outcome.retryLater.length });
        }
        logger.info('suppressions written', {
          messages: group.length,
          attempt,
          suppressed: outcome.suppressed.length,
          skipped: outcome.skipped,
          importJobs: outcome.imports.map((j) => ({ jobId: j.jobId, rows: j.rows })),
          rejected: outcome.rejected.length,
          retryLater: outcome.retryLater.length,
        });
      } catch (error) {
        failed.push(...group.map((r) => r.record.messageId));
        logger.warn('suppressions failed; messages left on the queue for retry', { messages: group.length, ...describe(error) });
      }
    }
    return failed;
  };

  const follow = async (record: SQSRecord, job: ImportJobRef, attempt: number, polls: number): Promise<boolean> => {
    try {
      const outcome = await writer.follow(job, attempt, polls);
      if (outcome.state === 'running') {
        logger.info('import job still running', { jobId: job.jobId, polls: polls + 1, nextLookInSeconds: outcome.nextLookInSeconds });
        return true;
      }
      metrics.add(names.suppressions, outcome.suppressed);
      await park(outcome.rejected, attempt, record.messageId);
      logger.info('import job settled', { jobId: job.jobId, state: outcome.state, rows: job.rows, suppressed: outcome.suppressed, retried: outcome.retried, rejected: outcome.rejected.length });
      return true;
    } catch (error) {
      logger.warn('import job look failed; left on the queue for retry', { jobId: job.jobId, ...describe(error) });
      return false;
    }
  };

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    try {
      const toWrite: Array<{ record: SQSRecord; entries: readonly SuppressionEntry[]; attempt: number }> = [];
      const toFollow: Array<{ record: SQSRecord; job: ImportJobRef; attempt: number; polls: number }> = [];
      for (const record of event.Records) {
        try {
          const message = readSuppressionMessage(record.body);
          if (message.type === 'suppress') toWrite.push({ record, entries: message.entries, attempt: message.attempt });
          else toFollow.push({ record, job: message.job, attempt: message.attempt, polls: message.polls });
        } catch (error) {
          if (!(error instanceof MalformedMessageError)) throw error;
          try {
            await deadLetters.park(record.body, error.message, record.messageId);
            logger.error('record parked in the dead-letter queue', { sqsMessageId: record.messageId, reason: error.message });
          } catch (parkError) {
            failures.push(record.messageId);
            logger.warn('could not park a malformed record; left on the queue', { sqsMessageId: record.messageId, ...describe(parkError) });
          }
        }
      }
      failures.push(...(await writeAll(toWrite)));
      for (const f of toFollow) if (!(await follow(f.record, f.job, f.attempt, f.polls))) failures.push(f.record.messageId);
      return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
    } finally {
      metrics.publish();
    }
  };
}

function describe(error: unknown): { error: string; reason: string } {
  return {
    error: error instanceof Error ? error.name : 'Error',
    reason: redactAddresses(error instanceof Error ? error.message : String(error)),
  };
}
