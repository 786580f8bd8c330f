import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ENTRIES_PER_MESSAGE, PIPELINE_METRICS } from '../contract.js';
import type { SuppressionWriterMetrics } from '../adapters/feedback-metrics.js';
import {
  chunk,
  MalformedMessageError,
  maskAddress,
  readAddress,
  readSuppressionMessage,
  redactAddresses,
  type DeadLetters,
  type ImportJobRef,
  type SuppressionEntry,
  type SuppressionWriter,
} from '../domain/index.js';

export interface WriteSuppressionsDependencies {
  readonly writer: SuppressionWriter;
  readonly deadLetters: DeadLetters;
  readonly logger: Logger;
  readonly metrics: SuppressionWriterMetrics;
  /** The queues' maxReceiveCount: a message failing on its last receive is parked with the reason. */
  readonly maxReceiveCount: number;
}

const { names } = PIPELINE_METRICS;

/** A message that was not done this time, and why. */
interface Failure {
  readonly record: SQSRecord;
  readonly reason: string;
}

/**
 * The suppression queue's handler. Every address of the whole batch (up to 10,000 messages over
 * the batching window) is written in one go, so a flood becomes a few import jobs; import jobs
 * are looked at when their follow-up message arrives.
 *
 * Failure handling: a message that cannot be read, and addresses SES refused for good, go to the
 * dead-letter queue with their reason; a message whose addresses were not done (SES throttled or
 * failed) is reported as a batch item failure and comes back, and on its last receive it is parked
 * with the last failure as its reason. Nothing is dropped, nothing is parked without a reason.
 */
export function createWriteSuppressionsHandler(deps: WriteSuppressionsDependencies) {
  const { writer, deadLetters, logger, metrics, maxReceiveCount } = deps;

  /**
   * Parks refused addresses, grouped by why and chunked under SQS's message size: each message is a
   * `suppress` (or `unsuppress`) message, so a redrive to the suppression queue retries it, whose
   * reason names its addresses, masked. A put-back not done is parked as an `unsuppress` message:
   * its redrive puts back what the ledger still holds (and ends what it no longer does).
   */
  const park = async (
    entries: ReadonlyArray<{ entry: SuppressionEntry; why: string }>,
    attempt: number,
    sourceMessageId: string,
    action: 'suppress' | 'unsuppress' | 'withdraw' | 'put-back' = 'suppress',
  ): Promise<void> => {
    if (entries.length === 0) return;
    const byWhy = new Map<string, SuppressionEntry[]>();
    for (const { entry, why } of entries) byWhy.set(why, [...(byWhy.get(why) ?? []), entry]);
    for (const [why, group] of byWhy) {
      for (const part of chunk(group, ENTRIES_PER_MESSAGE)) {
        const done = action === 'suppress' ? 'suppressed' : action === 'put-back' ? 'put back on the list' : 'taken off the list';
        const reason = redactAddresses(`${part.length} address(es) not ${done} (${namesOf(part)}): ${why}`);
        const body =
          action === 'suppress' ? { type: action, entries: part, attempt } : { type: action === 'withdraw' ? 'withdraw' : 'unsuppress', addresses: part.map((e) => e.address), attempt };
        await deadLetters.park(JSON.stringify(body), reason, sourceMessageId);
        logger.error('addresses parked in the dead-letter queue', { count: part.length, reason });
      }
    }
    metrics.add(names.suppressionsRejected, entries.length);
  };

  type Pending = { record: SQSRecord; addresses: readonly string[]; attempt: number };

  /**
   * One writer call per attempt number over the addresses of all these messages; the messages
   * whose addresses SES did not get to are failed back to the queue.
   */
  const inGroups = async <T extends Pending>(
    records: readonly T[],
    run: (group: readonly T[], attempt: number) => Promise<{ retryLater: readonly SuppressionEntry[] }>,
  ): Promise<Failure[]> => {
    const failed: Failure[] = [];
    const byAttempt = new Map<number, T[]>();
    for (const r of records) byAttempt.set(r.attempt, [...(byAttempt.get(r.attempt) ?? []), r]);
    for (const [attempt, group] of byAttempt) {
      try {
        const { retryLater } = await run(group, attempt);
        const notDone = new Set(retryLater.map((e) => e.address));
        const retried = group.filter((r) => r.addresses.some((a) => notDone.has(readAddress(a).address ?? a)));
        failed.push(...retried.map((r) => ({ record: r.record, reason: 'SES failed part-way (throttled or unavailable) before these addresses' })));
        if (retried.length > 0) logger.warn('SES failed part-way; messages left on the queue for retry', { messages: retried.length, addresses: retryLater.length });
      } catch (error) {
        const why = describe(error);
        failed.push(...group.map((r) => ({ record: r.record, reason: `${why.error}: ${why.reason}` })));
        logger.warn('suppression changes failed; messages left on the queue for retry', { messages: group.length, ...why });
      }
    }
    return failed;
  };

  const writeAll = (records: ReadonlyArray<Pending & { entries: readonly SuppressionEntry[] }>): Promise<Failure[]> =>
    inGroups(records, async (group, attempt) => {
      const outcome = await writer.write(group.flatMap((r) => r.entries), attempt);
      metrics.add(names.suppressions, outcome.suppressed.length);
      metrics.add(names.suppressionsSkipped, outcome.skipped);
      metrics.add(names.importJobs, outcome.imports.length);
      await park(outcome.rejected, attempt, group[0]?.record.messageId ?? '');
      logger.info('suppressions written', {
        messages: group.length,
        attempt,
        suppressed: outcome.suppressed.length,
        skipped: outcome.skipped,
        madePermanent: outcome.madePermanent,
        importJobs: outcome.imports.map((j) => ({ jobId: j.jobId, rows: j.rows })),
        rejected: outcome.rejected.length,
        retryLater: outcome.retryLater.length,
      });
      return outcome;
    });

  const removeAll = (records: readonly Pending[], withdrawal = false): Promise<Failure[]> =>
    inGroups(records, async (group, attempt) => {
      const addresses = group.flatMap((r) => r.addresses);
      const outcome = withdrawal ? await writer.withdraw(addresses, attempt) : await writer.unsuppress(addresses, attempt);
      metrics.add(names.suppressionsExpired, outcome.removed.length);
      metrics.add(names.importJobs, outcome.imports.length);
      await park(outcome.rejected, attempt, group[0]?.record.messageId ?? '', withdrawal ? 'withdraw' : 'unsuppress');
      await park(outcome.notPutBack, attempt, group[0]?.record.messageId ?? '', 'put-back');
      logger.info(withdrawal ? 'temporary suppressions withdrawn by a later delivery' : 'temporary suppressions ended', {
        messages: group.length,
        attempt,
        removed: outcome.removed.length,
        skipped: outcome.skipped,
        putBack: outcome.putBack,
        importJobs: outcome.imports.map((j) => ({ jobId: j.jobId, rows: j.rows })),
        rejected: outcome.rejected.length,
        retryLater: outcome.retryLater.length,
      });
      return outcome;
    });

  const expire = async (record: SQSRecord): Promise<Failure | undefined> => {
    try {
      const outcome = await writer.expire();
      await park(outcome.rejected, 1, record.messageId, 'unsuppress');
      logger.info('expiry tick', { due: outcome.due, stale: outcome.stale, givenUp: outcome.rejected.length });
      return undefined;
    } catch (error) {
      const why = describe(error);
      logger.warn('expiry tick failed; left on the queue for retry', why);
      return { record, reason: `the expiry tick failed: ${why.error}: ${why.reason}` };
    }
  };

  const follow = async (record: SQSRecord, job: ImportJobRef, attempt: number, polls: number): Promise<Failure | undefined> => {
    try {
      const outcome = await writer.follow(job, attempt, polls);
      if (outcome.state === 'running') {
        logger.info('import job still running', { ...jobOf(outcome.jobId, job), polls: polls + 1, nextLookInSeconds: outcome.nextLookInSeconds });
        if (outcome.overdue) {
          // The one moment a human should hear of a job that does not end; following it goes on.
          const reason = `import job ${outcome.jobId} (DELETE, ${job.rows} rows) still running after ${polls + 1} looks; still followed every ${outcome.nextLookInSeconds} s, its addresses stay marked as being removed until it ends (a redrive of this message only adds a second follower)`;
          // Its body follows the job on from past the last look: a redrive never parks the notice again.
          await deadLetters.park(JSON.stringify({ type: 'follow-import', job, attempt, polls: polls + 1 }), reason, record.messageId);
          logger.error('import job overdue; parked a notice in the dead-letter queue', { jobId: outcome.jobId, reason });
        }
        return undefined;
      }
      if (outcome.state === 'not-created') {
        logger.info('import job not created by SES; the message that prepared it surfaced or retried its rows', { objectKey: job.objectKey });
        return undefined;
      }
      if (outcome.state === 'unrecorded') {
        // A job SES may be running, unfollowed: the one moment a human must look.
        const reason = `import job for ${job.objectKey} (${outcome.action}, ${job.rows} rows): no job id recorded beside its rows after ${polls + 1} looks (the writer died, or S3 refused, between creating it and recording it, or before creating it); if ListImportJobs shows a job reading that file, put its id in this message's job.jobId and redrive it; its rows were retried`;
        await deadLetters.park(JSON.stringify({ type: 'follow-import', job, attempt, polls: polls + 1 }), reason, record.messageId);
        logger.error('import job id never recorded; parked a notice in the dead-letter queue', { objectKey: job.objectKey, reason });
        return undefined;
      }
      metrics.add(outcome.action === 'PUT' ? names.suppressions : names.suppressionsExpired, outcome.suppressed);
      await park(outcome.rejected, attempt, record.messageId, outcome.putBack ? 'put-back' : outcome.action === 'PUT' ? 'suppress' : 'unsuppress');
      await park(outcome.notPutBack ?? [], attempt, record.messageId, 'put-back');
      logger.info('import job settled', { jobId: outcome.jobId, action: outcome.action, state: outcome.state, rows: job.rows, settled: outcome.suppressed, retried: outcome.retried, rejected: outcome.rejected.length });
      return undefined;
    } catch (error) {
      const why = describe(error);
      logger.warn('import job look failed; left on the queue for retry', { ...jobOf(job.jobId, job), ...why });
      return { record, reason: `a look at import job ${job.jobId || `for ${job.objectKey}`} failed: ${why.error}: ${why.reason}` };
    }
  };

  /** Fails a message back to its queue, or, on its last receive, parks it with the reason. */
  const failOrPark = async ({ record, reason }: Failure): Promise<string | undefined> => {
    const receives = Number(record.attributes.ApproximateReceiveCount);
    if (receives < maxReceiveCount) return record.messageId;
    try {
      const masked = redactAddresses(`failed on each of its ${receives} receives; the last time: ${reason}`);
      await deadLetters.park(record.body, masked, record.messageId);
      logger.error('record parked in the dead-letter queue', { sqsMessageId: record.messageId, reason: masked });
      return undefined;
    } catch (parkError) {
      logger.warn('could not park a record on its last receive; SQS moves it to the dead-letter queue', { sqsMessageId: record.messageId, ...describe(parkError) });
      return record.messageId;
    }
  };

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    try {
      const toWrite: Array<Pending & { entries: readonly SuppressionEntry[] }> = [];
      const toRemove: Pending[] = [];
      const toWithdraw: Pending[] = [];
      const toFollow: Array<{ record: SQSRecord; job: ImportJobRef; attempt: number; polls: number }> = [];
      const ticks: SQSRecord[] = [];
      for (const record of event.Records) {
        try {
          const message = readSuppressionMessage(record.body);
          if (message.type === 'suppress') toWrite.push({ record, entries: message.entries, addresses: message.entries.map((e) => e.address), attempt: message.attempt });
          else if (message.type === 'unsuppress') toRemove.push({ record, addresses: message.addresses, attempt: message.attempt });
          else if (message.type === 'withdraw') toWithdraw.push({ record, addresses: message.addresses, attempt: message.attempt });
          else if (message.type === 'follow-import') toFollow.push({ record, job: message.job, attempt: message.attempt, polls: message.polls });
          else ticks.push(record);
        } catch (error) {
          if (!(error instanceof MalformedMessageError)) throw error;
          try {
            const reason = redactAddresses(error.message);
            await deadLetters.park(record.body, reason, record.messageId);
            logger.error('record parked in the dead-letter queue', { sqsMessageId: record.messageId, reason });
          } catch (parkError) {
            failures.push(record.messageId);
            logger.warn('could not park a malformed record; left on the queue', { sqsMessageId: record.messageId, ...describe(parkError) });
          }
        }
      }
      const failed = await writeAll(toWrite);
      failed.push(...(await removeAll(toRemove)));
      failed.push(...(await removeAll(toWithdraw, true)));
      for (const f of toFollow) {
        const failure = await follow(f.record, f.job, f.attempt, f.polls);
        if (failure) failed.push(failure);
      }
      // One tick does the work of all (SQS may hand over a late one with the next).
      const [tick, ...repeats] = ticks;
      if (tick) {
        const failure = await expire(tick);
        if (failure) failed.push(failure, ...repeats.map((record) => ({ ...failure, record })));
      }
      for (const failure of failed) {
        const id = await failOrPark(failure);
        if (id !== undefined) failures.push(id);
      }
      return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
    } finally {
      metrics.publish();
    }
  };
}

/** The first few addresses of a parked group, masked, and how many more. */
function namesOf(entries: readonly SuppressionEntry[]): string {
  const shown = entries.slice(0, 5).map((e) => maskAddress(e.address)).join(', ');
  return entries.length > 5 ? `${shown} and ${entries.length - 5} more` : shown;
}

function describe(error: unknown): { error: string; reason: string } {
  return {
    error: error instanceof Error ? error.name : 'Error',
    reason: redactAddresses(error instanceof Error ? error.message : String(error)),
  };
}

/** How a log line names an import job: by SES's id, or, before one is recorded, by its file. */
function jobOf(jobId: string, job: ImportJobRef): { jobId: string } | { objectKey: string } {
  return jobId === '' ? { objectKey: job.objectKey } : { jobId };
}
