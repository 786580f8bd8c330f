import { SuppressionRejectedError } from './errors.js';
import type { SuppressionAnnouncements, SuppressionImports, SuppressionLedger, SuppressionList, SuppressionProvenance, SuppressionQueue } from './ports.js';
import { readAddress } from './address.js';
import { chunk, followDelaySeconds, matchFailedRecords, mergeEntries, suppressionChanges, type ImportJobRef, type SuppressionEntry } from './suppression.js';

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
  /** Looks at one import job before the writer stops waiting for it and treats its outcome as unknown. */
  readonly maxLooks: number;
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
      /** `unknown`: SES's answer could not be matched to the rows, or the job never ended: nothing was taken as suppressed. */
      readonly state: 'completed' | 'failed' | 'unknown';
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
    // An address SES would refuse (from a hand-edited redrive, say) is surfaced, not sent and not retried.
    const refused: Array<{ entry: SuppressionEntry; why: string }> = [];
    const readable = requested.filter((entry) => {
      const problem = readAddress(entry.address).problem;
      if (problem !== undefined) refused.push({ entry, why: `SES would refuse this address: ${problem}` });
      return problem === undefined;
    });
    const merged = mergeEntries(readable);
    const known = await ledger.suppressedReasons(merged.map((e) => e.address));
    const pending = merged.filter((e) => suppressionChanges(known.get(e.address), e.reason));
    const skipped = merged.length - pending.length;
    if (pending.length === 0) return { suppressed: [], imports: [], skipped, rejected: refused, retryLater: [] };
    if (pending.length >= importThreshold) {
      const started = await this.startImports(pending, attempt);
      return { suppressed: [], imports: started.imports, skipped, rejected: [...refused, ...started.rejected], retryLater: [] };
    }
    const each = await this.putEach(pending);
    return { ...each, rejected: [...refused, ...each.rejected], imports: [], skipped };
  }

  /**
   * Looks at an import job once: reschedules the next look, or settles its rows. Only rows SES is
   * known to have accepted are settled (announced, recorded); the others are retried as a new job,
   * and parked with the reason once their attempts are spent. A job that is still running after
   * `maxLooks` looks is given up on in the same way: the loop has a bound.
   */
  public async follow(job: ImportJobRef, attempt: number, polls: number): Promise<FollowOutcome> {
    const { imports, queue, maxAttempts, maxLooks, followDelay } = this.options;
    const status = await imports.status(job.jobId);
    if (status.state === 'running' && polls + 1 < maxLooks) {
      const next = followDelaySeconds(polls + 1, followDelay.initialSeconds, followDelay.maxSeconds);
      await queue.followImport(job, attempt, polls + 1, next);
      return { state: 'running', nextLookInSeconds: next };
    }
    const rows = await imports.rows(job.objectKey);
    let failed: ReadonlySet<number>;
    let why: string;
    let state: 'completed' | 'failed' | 'unknown';
    if (status.state === 'completed') {
      const match = matchFailedRecords(rows.map((r) => r.line), status.failedRecords, status.failedCount);
      state = match.unknown === undefined ? 'completed' : 'unknown';
      failed = match.failed ?? new Set(rows.keys());
      why = match.unknown === undefined
        ? `row refused in import job ${job.jobId}${status.errorMessage ? `: ${status.errorMessage}` : ''}`
        : `outcome of import job ${job.jobId} unknown: ${match.unknown}`;
    } else {
      state = status.state === 'failed' ? 'failed' : 'unknown';
      failed = new Set(rows.keys());
      why = status.state === 'failed' ? `import job ${job.jobId} failed: ${status.errorMessage}` : `import job ${job.jobId} still running after ${polls + 1} looks`;
    }
    const done = rows.filter((_, i) => !failed.has(i)).map((r) => r.entry);
    const notDone = rows.filter((_, i) => failed.has(i)).map((r) => r.entry);
    await this.settle(done, { via: 'import', jobId: job.jobId });
    if (attempt < maxAttempts) {
      await queue.retry(notDone, attempt + 1);
      return { state, suppressed: done.length, retried: notDone.length, rejected: [] };
    }
    return { state, suppressed: done.length, retried: 0, rejected: notDone.map((entry) => ({ entry, why })) };
  }

  /** One import job per chunk; a chunk SES refuses for good (bad request, sandbox) is rejected with SES's reason. */
  private async startImports(pending: readonly SuppressionEntry[], attempt: number): Promise<Pick<WriteOutcome, 'imports' | 'rejected'>> {
    const { imports, queue, maxRowsPerImport, followDelay } = this.options;
    const started: ImportJobRef[] = [];
    const rejected: Array<{ entry: SuppressionEntry; why: string }> = [];
    for (const rows of chunk(pending, maxRowsPerImport)) {
      let job: ImportJobRef;
      try {
        job = await imports.start(rows);
      } catch (error) {
        if (!(error instanceof SuppressionRejectedError)) throw error;
        rejected.push(...rows.map((entry) => ({ entry, why: error.message })));
        continue;
      }
      // The follow-up message is what makes the job durable: from here on, the queue holds it.
      await queue.followImport(job, attempt, 0, followDelay.initialSeconds);
      started.push(job);
    }
    return { imports: started, rejected };
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
