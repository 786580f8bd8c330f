import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ENTRIES_PER_MESSAGE, PIPELINE_METRICS } from '../shared/contract.js';
import type { SuppressionWriterMetrics } from './adapters/writer-metrics.js';
import { chunk, readSuppressionMessage, type SuppressionEntry, type SuppressionMessage } from '../shared/suppression.js';
import { MalformedMessageError } from '../shared/errors.js';
import { maskAddress, readAddress, redactAddresses } from '../shared/address.js';
import { type DeadLetters, type SuppressionQueue } from '../shared/ports.js';
import { type Rejection, type TimeLeft } from './suppression-writer-contract.js';
import { type SuppressionWriter } from './suppression-writer.js';
import { type WriterLease } from './ports.js';

export interface WriteSuppressionsDependencies {
  readonly writer: SuppressionWriter;
  readonly lease: WriterLease;
  /** Where waiting and unreached work goes back to. */
  readonly queue: SuppressionQueue;
  readonly deadLetters: DeadLetters;
  readonly logger: Logger;
  readonly metrics: SuppressionWriterMetrics;
  /** The queue's maxReceiveCount: a message failing on its last receive is parked with the reason. */
  readonly maxReceiveCount: number;
  /** How long a batch that found the lease held waits before its messages come again. */
  readonly leaseWaitSeconds: number;
  /**
   * Before it hands its messages back, a batch that found the lease held tries again `everyMs`
   * for up to `forMs`: a run usually holds it for a second or two (one import job, a few calls),
   * and the two pollers' batches tend to arrive together.
   */
  readonly leaseRetry: { readonly everyMs: number; readonly forMs: number };
  /** Waits between lease attempts (a test passes its own clock's). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called once a run holds the lease, before its first SES call (the pacer starts over). */
  readonly onRunStart?: () => void;
}

const { names } = PIPELINE_METRICS;

/** A message that was not done this time, and why. */
interface Failure {
  readonly record: SQSRecord;
  readonly reason: string;
}

type Read<T extends SuppressionMessage['type']> = { readonly record: SQSRecord; readonly message: Extract<SuppressionMessage, { type: T }> };

/**
 * The writer's handler. It takes the writer's lease first: one run at a time. A batch that finds
 * it held tries again for a few seconds, then goes back to the queue as new messages after a
 * short wait, so waiting never counts
 * towards the dead-letter queue. Holding it, every address of the whole batch (up to 10,000
 * messages over the batching window) is written in one go, so a flood becomes a few import jobs;
 * then the operator's removals, looks at import jobs, restores, withdrawals, and one tick.
 *
 * Failure handling: a message that cannot be read, and addresses SES refused for good, go to the
 * dead-letter queue with their reason; work the run had no time for goes back to the queue, not
 * a failure; a message whose addresses SES failed (throttled, unavailable) is reported as a batch
 * item failure and comes back, and on its last receive it is parked with the last failure as its
 * reason. Nothing is dropped, nothing is parked without a reason.
 */
export function createWriteSuppressionsHandler(deps: WriteSuppressionsDependencies) {
  const { writer, lease, queue, deadLetters, logger, metrics, maxReceiveCount, leaseWaitSeconds, leaseRetry, onRunStart } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** Whether `holder` got the lease, trying again while the run it waits for is likely ending. */
  const acquire = async (holder: string): Promise<boolean> => {
    for (let waited = 0; ; waited += leaseRetry.everyMs) {
      if (await lease.acquire(holder)) return true;
      if (waited + leaseRetry.everyMs > leaseRetry.forMs) return false;
      await sleep(leaseRetry.everyMs);
    }
  };

  /**
   * Parks refused addresses, grouped by why and chunked under SQS's message size, each as a message
   * whose redrive retries it (`suppress`, or `unsuppress` for a removal), with a reason that names
   * its addresses, masked.
   */
  const park = async (entries: readonly Rejection[], attempt: number, sourceMessageId: string, removal = false, request?: string): Promise<void> => {
    if (entries.length === 0) return;
    const byWhy = new Map<string, SuppressionEntry[]>();
    for (const { entry, why } of entries) byWhy.set(why, [...(byWhy.get(why) ?? []), entry]);
    for (const [why, group] of byWhy) {
      for (const part of chunk(group, ENTRIES_PER_MESSAGE)) {
        const reason = redactAddresses(`${part.length} address(es) not ${removal ? 'taken off the list' : 'suppressed'} (${namesOf(part)}): ${why}`);
        const body = removal ? { type: 'unsuppress', addresses: part.map((e) => e.address), attempt } : { type: 'suppress', entries: part, attempt, ...(request !== undefined ? { request } : {}) };
        await deadLetters.park(JSON.stringify(body), reason, sourceMessageId);
        logger.error('addresses parked in the dead-letter queue', { count: part.length, reason });
      }
    }
    metrics.add(names.suppressionsRejected, entries.length);
  };

  /** Runs `work`; a throw fails these records back to the queue with the reason. */
  const guarded = async (records: readonly SQSRecord[], what: string, work: () => Promise<Failure[]>): Promise<Failure[]> => {
    try {
      return await work();
    } catch (error) {
      const why = describe(error);
      logger.warn(`${what} failed; messages left on the queue for retry`, { messages: records.length, ...why });
      return records.map((record) => ({ record, reason: `${what} failed: ${why.error}: ${why.reason}` }));
    }
  };

  /** The messages that hold any of these addresses (SES failed part-way before them). */
  const holding = (group: ReadonlyArray<{ record: SQSRecord; addresses: readonly string[] }>, notDone: readonly string[]): Failure[] => {
    const left = new Set(notDone.map((a) => readAddress(a).address ?? a));
    const retried = group.filter((g) => g.addresses.some((a) => left.has(readAddress(a).address ?? a)));
    if (retried.length > 0) logger.warn('SES failed part-way; messages left on the queue for retry', { messages: retried.length, addresses: notDone.length });
    return retried.map(({ record }) => ({ record, reason: 'SES failed part-way (throttled or unavailable) before these addresses' }));
  };

  const writeAll = async (reads: ReadonlyArray<Read<'suppress'>>, timeLeft: TimeLeft): Promise<Failure[]> => {
    const failed: Failure[] = [];
    const groups = new Map<string, Array<Read<'suppress'>>>();
    for (const r of reads) {
      const key = `${r.message.attempt}/${r.message.request ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const group of groups.values()) {
      const { attempt, request } = group[0]!.message;
      const records = group.map((g) => g.record);
      failed.push(
        ...(await guarded(records, 'suppression writes', async () => {
          const outcome = await writer.write(group.flatMap((g) => g.message.entries), attempt, timeLeft, request);
          metrics.add(names.suppressions, outcome.suppressed.length);
          metrics.add(names.suppressionsSkipped, outcome.skipped);
          metrics.add(names.importJobs, outcome.imports.length);
          await park(outcome.rejected, attempt, records[0]?.messageId ?? '', false, request);
          if (outcome.unreached.length > 0) await queue.retry(outcome.unreached, attempt, request);
          logger.info('suppressions written', {
            messages: group.length,
            attempt,
            suppressed: outcome.suppressed.length,
            skipped: outcome.skipped,
            madePermanent: outcome.madePermanent,
            importJobs: outcome.imports.map((j) => ({ jobId: j.jobId, rows: j.rows })),
            rejected: outcome.rejected.length,
            retryLater: outcome.retryLater.length,
            handedBack: outcome.unreached.length,
          });
          return holding(group.map((g) => ({ record: g.record, addresses: g.message.entries.map((e) => e.address) })), outcome.retryLater.map((e) => e.address));
        })),
      );
    }
    return failed;
  };

  /** One writer call over the addresses of these messages of one type; what it did not reach goes back as that type. */
  const overAddresses = (type: 'withdraw' | 'unsuppress' | 'restore', reads: ReadonlyArray<Read<'withdraw' | 'unsuppress' | 'restore'>>, timeLeft: TimeLeft): Promise<Failure[]> =>
    guarded(reads.map((r) => r.record), `${type} messages`, async () => {
      const addresses = reads.flatMap((r) => r.message.addresses);
      const outcome = await writer[type](addresses, timeLeft);
      if (type !== 'restore') metrics.add(names.suppressionsExpired, outcome.removed.length);
      await park(outcome.rejected, 1, reads[0]?.record.messageId ?? '', type !== 'restore');
      const back = chunk(outcome.unreached, ENTRIES_PER_MESSAGE).map((part): SuppressionMessage => (type === 'restore' ? { type, addresses: part } : { type, addresses: part, attempt: 1 }));
      if (back.length > 0) await queue.requeue(back, 0);
      logger.info(`${type} messages done`, { messages: reads.length, done: outcome.removed.length, skipped: outcome.skipped, rejected: outcome.rejected.length, retryLater: outcome.retryLater.length, handedBack: outcome.unreached.length });
      return holding(reads.map((r) => ({ record: r.record, addresses: r.message.addresses })), outcome.retryLater);
    });

  const removeForOperator = ({ record, message }: Read<'remove'>, timeLeft: TimeLeft): Promise<Failure[]> =>
    guarded([record], 'an operator removal', async () => {
      const outcome = await writer.removeForOperator(message.address, message.request, message.note, timeLeft);
      if (outcome === 'unreached') await queue.requeue([message], 0);
      logger.info('operator removal', { request: message.request, address: maskAddress(message.address), outcome });
      return [];
    });

  const follow = ({ record, message }: Read<'follow-import'>, timeLeft: TimeLeft): Promise<Failure[]> =>
    guarded([record], `a look at import job ${message.job.jobId || `for ${message.job.objectKey}`}`, async () => {
      const { job, attempt, polls } = message;
      const outcome = await writer.follow(job, attempt, polls, timeLeft);
      if (outcome.state === 'unreached') await queue.requeue([message], 0);
      else if (outcome.state === 'unrecorded') {
        // A job SES may be running, unfollowed: the one moment a human must look.
        const reason = `import job for ${job.objectKey} (${job.rows} rows): no job id recorded beside its rows after ${polls + 1} looks (the writer died, or S3 refused, between creating it and recording it, or before creating it); if ListImportJobs shows a job reading that file, put its id in this message's job.jobId and redrive it; its rows were retried`;
        await deadLetters.park(JSON.stringify({ type: 'follow-import', job, attempt, polls: polls + 1 }), reason, record.messageId);
        logger.error('import job id never recorded; parked a notice in the dead-letter queue', { objectKey: job.objectKey, reason });
      } else if ('suppressed' in outcome) {
        metrics.add(names.suppressions, outcome.suppressed);
        await park(outcome.rejected, attempt, record.messageId, false, job.request);
        logger.info('import job settled', { jobId: outcome.jobId, state: outcome.state, rows: job.rows, settled: outcome.suppressed, retried: outcome.retried, rejected: outcome.rejected.length });
      } else {
        // running (looked at again later), not-created (its rows were surfaced or retried), or superseded (an earlier version's DELETE job: the tick finishes its rows)
        const jobId = 'jobId' in outcome ? outcome.jobId : job.jobId;
        logger.info(outcome.state === 'running' ? 'import job still running' : `import job ${outcome.state}`, { ...jobOf(jobId, job), polls: polls + 1, ...('nextLookInSeconds' in outcome ? { nextLookInSeconds: outcome.nextLookInSeconds } : {}) });
      }
      return [];
    });

  const expire = async (ticks: readonly SQSRecord[], timeLeft: TimeLeft): Promise<Failure[]> =>
    guarded(ticks, 'the expiry tick', async () => {
      const outcome = await writer.expire(timeLeft);
      metrics.add(names.suppressionsExpired, outcome.removed.length);
      await park(outcome.rejected, 1, ticks[0]?.messageId ?? '', true);
      // What it did not reach stays due: the next tick takes it.
      logger.info('expiry tick', { removed: outcome.removed.length, stale: outcome.stale, keptForGood: outcome.keptForGood, rejected: outcome.rejected.length, leftForNextTick: outcome.unreached.length + outcome.retryLater.length });
      return [];
    });

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

  /** Reads each record; one that cannot be read is parked with why (or, if parking fails, left on the queue). */
  const readAll = async (records: readonly SQSRecord[], failures: string[]): Promise<Array<{ record: SQSRecord; message: SuppressionMessage }>> => {
    const read: Array<{ record: SQSRecord; message: SuppressionMessage }> = [];
    for (const record of records) {
      try {
        read.push({ record, message: readSuppressionMessage(record.body) });
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
    return read;
  };

  /** Another run holds the lease: the messages come again as new ones after a wait (their receives start again). */
  const wait = async (read: ReadonlyArray<{ record: SQSRecord; message: SuppressionMessage }>): Promise<string[]> => {
    try {
      await queue.requeue(read.map((r) => r.message), leaseWaitSeconds);
      logger.info('another writer run holds the lease; messages wait', { messages: read.length, waitSeconds: leaseWaitSeconds });
      return [];
    } catch (error) {
      logger.warn('could not hand waiting messages back; left on the queue', { messages: read.length, ...describe(error) });
      return read.map((r) => r.record.messageId);
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    const holder = context.awsRequestId;
    try {
      const read = await readAll(event.Records, failures);
      if (read.length === 0) return respond(failures);
      if (!(await acquire(holder))) return respond([...failures, ...(await wait(read))]);
      try {
        onRunStart?.();
        const timeLeft: TimeLeft = () => context.getRemainingTimeInMillis();
        const of = <T extends SuppressionMessage['type']>(...types: T[]): Array<Read<T>> => read.filter((r): r is Read<T> => (types as string[]).includes(r.message.type));
        const failed = await writeAll(of('suppress'), timeLeft);
        for (const r of of('remove')) failed.push(...(await removeForOperator(r, timeLeft)));
        for (const r of of('follow-import')) failed.push(...(await follow(r, timeLeft)));
        for (const type of ['restore', 'withdraw', 'unsuppress'] as const) {
          const reads = of(type);
          if (reads.length > 0) failed.push(...(await overAddresses(type, reads, timeLeft)));
        }
        // One tick does the work of all (SQS may hand over a late one with the next).
        const ticks = of('expire').map((r) => r.record);
        if (ticks.length > 0) failed.push(...(await expire(ticks, timeLeft)));
        for (const failure of failed) {
          const id = await failOrPark(failure);
          if (id !== undefined) failures.push(id);
        }
        return respond(failures);
      } finally {
        await lease.release(holder).catch((error: unknown) => logger.warn('could not release the writer lease; it lapses by itself', describe(error)));
      }
    } finally {
      metrics.publish();
    }
  };
}

function respond(failures: readonly string[]): SQSBatchResponse {
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
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
function jobOf(jobId: string, job: { readonly objectKey: string }): { jobId: string } | { objectKey: string } {
  return jobId === '' ? { objectKey: job.objectKey } : { jobId };
}
