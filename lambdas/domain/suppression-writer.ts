import { SuppressionRejectedError } from './errors.js';
import type { SuppressionAnnouncements, SuppressionImports, SuppressionLedger, SuppressionList, SuppressionProvenance, SuppressionQueue } from './ports.js';
import { chunk, followDelaySeconds, mergeEntries, suppressionChanges, type ImportJobRef, type SuppressionEntry } from './suppression.js';

export interface SuppressionWriterOptions {
  readonly ledger: SuppressionLedger;
  readonly list: SuppressionList;
  readonly imports: SuppressionImports;
  readonly queue: SuppressionQueue;
  /** Told of every address SES accepted ("Address Suppressed" events). */
  readonly announcements: SuppressionAnnouncements;
  /**
   * At or above this many addresses still to suppress, one import job replaces the single calls.
   * A job costs one CreateImportJob plus the GetImportJob looks that follow it (3-5 for a job of a
   * minute or two), so below about this many, single calls are fewer and faster.
   */
  readonly importThreshold: number;
  /** SES takes at most 100,000 addresses per import object. */
  readonly maxRowsPerImport: number;
  /** Attempts per address before it is surfaced as rejected (failed import rows are retried). */
  readonly maxAttempts: number;
  readonly followDelay: { readonly initialSeconds: number; readonly maxSeconds: number };
  readonly clock?: () => Date;
}

/** What one call to {@link SuppressionWriter.write} did. */
export interface WriteOutcome {
  /** Put on the list by a single call each. */
  readonly suppressed: readonly SuppressionEntry[];
  /** Import jobs started (followed through the queue). */
  readonly imports: readonly ImportJobRef[];
  /** Already on the list with that reason (or COMPLAINT): no call made. */
  readonly skipped: number;
  /** Refused by SES for good, with why: surfaced, never retried again. */
  readonly rejected: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>;
  /** Not done because SES failed transiently (throttled, 5xx): the caller retries these. */
  readonly retryLater: readonly SuppressionEntry[];
}

/** What one look at an import job found. */
export type FollowOutcome =
  | { readonly state: 'running'; readonly nextLookInSeconds: number }
  | {
      readonly state: 'completed' | 'failed';
      readonly suppressed: number;
      /** Rows queued again (a failed job, or failed rows with attempts left). */
      readonly retried: number;
      readonly rejected: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>;
    };

/**
 * Puts addresses on the SES account-level suppression list at any burst size within SES's ~1
 * request/s: skips addresses already there, suppresses a trickle with single calls, and turns a
 * flood into import jobs (one call per up to 100,000 addresses), which it follows to their end
 * through the queue. Failed rows are retried, then surfaced; none is dropped.
 */
export class SuppressionWriter {
  private readonly clock: () => Date;

  public constructor(private readonly options: SuppressionWriterOptions) {
    if (options.importThreshold < 1) throw new Error(`importThreshold must be at least 1, got ${options.importThreshold}`);
    this.clock = options.clock ?? (() => new Date());
  }

  /** Suppresses these addresses (any number; duplicates and no-ops are dropped first). */
  public async write(requested: readonly SuppressionEntry[], attempt = 1): Promise<WriteOutcome> {
    const { ledger, importThreshold } = this.options;
    const merged = mergeEntries(requested);
    const known = await ledger.suppressedReasons(merged.map((e) => e.address));
    const pending = merged.filter((e) => suppressionChanges(known.get(e.address), e.reason));
    const skipped = merged.length - pending.length;
    if (pending.length === 0) return { suppressed: [], imports: [], skipped, rejected: [], retryLater: [] };
    if (pending.length >= importThreshold) {
      return { suppressed: [], imports: await this.startImports(pending, attempt), skipped, rejected: [], retryLater: [] };
    }
    return { ...(await this.putEach(pending)), imports: [], skipped };
  }

  /** Looks at an import job once: reschedules the next look, or settles its rows. */
  public async follow(job: ImportJobRef, attempt: number, polls: number): Promise<FollowOutcome> {
    const { imports, queue, maxAttempts, followDelay } = this.options;
    const status = await imports.status(job.jobId);
    if (status.state === 'running') {
      const next = followDelaySeconds(polls + 1, followDelay.initialSeconds, followDelay.maxSeconds);
      await queue.followImport(job, attempt, polls + 1, next);
      return { state: 'running', nextLookInSeconds: next };
    }
    const rows = await imports.rows(job.objectKey);
    const failed = status.state === 'failed' ? new Set(rows.map((r) => r.address)) : status.failedAddresses;
    const done = rows.filter((r) => !failed.has(r.address));
    const notDone = rows.filter((r) => failed.has(r.address));
    await this.settle(done, { via: 'import', jobId: job.jobId });
    const why = status.state === 'failed' ? `import job failed: ${status.errorMessage}` : `row failed in import job ${job.jobId}${status.errorMessage ? `: ${status.errorMessage}` : ''}`;
    if (attempt < maxAttempts) {
      await queue.retry(notDone, attempt + 1);
      return { state: status.state, suppressed: done.length, retried: notDone.length, rejected: [] };
    }
    return { state: status.state, suppressed: done.length, retried: 0, rejected: notDone.map((entry) => ({ entry, why })) };
  }

  private async startImports(pending: readonly SuppressionEntry[], attempt: number): Promise<ImportJobRef[]> {
    const { imports, queue, maxRowsPerImport, followDelay } = this.options;
    const started: ImportJobRef[] = [];
    for (const rows of chunk(pending, maxRowsPerImport)) {
      const job = await imports.start(rows);
      // The follow-up message is what makes the job durable: from here on, the queue holds it.
      await queue.followImport(job, attempt, 0, followDelay.initialSeconds);
      started.push(job);
    }
    return started;
  }

  /**
   * One call per address, in order. SES failing transiently stops the run (the account is most
   * likely throttled): what is left is retried later, what succeeded is recorded first.
   */
  private async putEach(pending: readonly SuppressionEntry[]): Promise<Omit<WriteOutcome, 'imports' | 'skipped'>> {
    const suppressed: SuppressionEntry[] = [];
    const rejected: Array<{ entry: SuppressionEntry; why: string }> = [];
    let retryLater: SuppressionEntry[] = [];
    for (const [i, entry] of pending.entries()) {
      try {
        await this.options.list.suppress(entry.address, entry.reason);
        suppressed.push(entry);
      } catch (error) {
        if (error instanceof SuppressionRejectedError) {
          rejected.push({ entry, why: error.message });
          continue;
        }
        retryLater = pending.slice(i);
        break;
      }
    }
    await this.settle(suppressed, { via: 'put' });
    return { suppressed, rejected, retryLater };
  }

  /** Announces what SES accepted, then records it: a failure in between announces again, never loses one. */
  private async settle(entries: readonly SuppressionEntry[], provenance: SuppressionProvenance): Promise<void> {
    if (entries.length === 0) return;
    const at = this.clock();
    await this.options.announcements.announce(entries, provenance, at);
    await this.options.ledger.recordSuppressed(entries, provenance, at);
  }
}
