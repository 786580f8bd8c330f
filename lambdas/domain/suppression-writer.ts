import { SuppressionRejectedError } from './errors.js';
import type {
  AcceptedSuppression,
  DueExpiry,
  SuppressionAnnouncements,
  SuppressionImports,
  SuppressionLedger,
  SuppressionList,
  SuppressionProvenance,
  SuppressionQueue,
} from './ports.js';
import { readAddress } from './address.js';
import {
  chunk,
  followDelaySeconds,
  matchFailedRecords,
  mergeEntries,
  suppressionChange,
  type ImportAction,
  type ImportJobRef,
  type SuppressionEntry,
} from './suppression.js';

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
  /** ... and at most 10,000 per object of a DELETE import. */
  readonly maxRowsPerDelete: number;
  /**
   * How long a temporary suppression (soft bounces escalated) stays on the list; 0 keeps it for
   * good (every suppression is then recorded as permanent).
   */
  readonly temporaryForSeconds: number;
  /** How long a claim on a due suppression holds before the hourly tick may claim it again. */
  readonly expiryLeaseSeconds: number;
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
  /** Of those skipped, temporary suppressions made permanent (a hard bounce or complaint since): ledger only. */
  readonly madePermanent: number;
  /** Refused by SES for good, with why: surfaced, never retried again. */
  readonly rejected: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>;
  /** Not done because SES failed transiently (throttled, 5xx): the caller retries these. */
  readonly retryLater: readonly SuppressionEntry[];
}

/** What one call to {@link SuppressionWriter.unsuppress} did. */
export interface RemoveOutcome {
  /** Taken off the list by a single call each. */
  readonly removed: readonly string[];
  readonly imports: readonly ImportJobRef[];
  /** Not (or no longer) a temporary suppression that is due: left alone. */
  readonly skipped: number;
  /** Became permanent while being removed: put back on the list. */
  readonly putBack: number;
  readonly rejected: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>;
  readonly retryLater: readonly SuppressionEntry[];
}

/** What one hourly tick found. */
export interface ExpireOutcome {
  /** Temporary suppressions due, handed over for removal. */
  readonly due: number;
  /** Schedule entries that no longer matched the ledger (made permanent, or removed by an operator): dropped. */
  readonly stale: number;
}

/** What one look at an import job found. */
export type FollowOutcome =
  | { readonly state: 'running'; readonly nextLookInSeconds: number }
  | {
      /** `unknown`: SES's answer could not be matched to the rows, or the job never ended: nothing was taken as suppressed. */
      readonly state: 'completed' | 'failed' | 'unknown';
      readonly action: ImportAction;
      /** Rows settled: put on the list (PUT) or taken off it (DELETE). */
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
 *
 * Suppressions that soft bounces escalated are temporary: the writer records when each ends, an
 * hourly tick hands over those that are due, and the writer takes them off the list the same way
 * (single DeleteSuppressedDestination calls, or DELETE import jobs of up to 10,000 rows), unless a
 * hard bounce or complaint made them permanent in the meantime.
 */
export class SuppressionWriter {
  private readonly clock: () => Date;

  public constructor(private readonly options: SuppressionWriterOptions) {
    if (options.importThreshold < 1) throw new Error(`importThreshold must be at least 1, got ${options.importThreshold}`);
    if (!(options.temporaryForSeconds >= 0)) throw new Error(`temporaryForSeconds must be 0 or more, got ${options.temporaryForSeconds}`);
    this.clock = options.clock ?? (() => new Date());
  }

  /** Suppresses these addresses (any number; duplicates and no-ops are dropped first). */
  public async write(requested: readonly SuppressionEntry[], attempt = 1): Promise<WriteOutcome> {
    const { ledger, importThreshold, temporaryForSeconds } = this.options;
    // An address SES would refuse (from a hand-edited redrive, say) is surfaced, not sent and not retried.
    const refused: Array<{ entry: SuppressionEntry; why: string }> = [];
    const readable = requested.filter((entry) => {
      const problem = readAddress(entry.address).problem;
      if (problem !== undefined) refused.push({ entry, why: `SES would refuse this address: ${problem}` });
      return problem === undefined;
    });
    // With no expiry, every suppression is permanent.
    const merged = mergeEntries(temporaryForSeconds > 0 ? readable : readable.map(({ address, reason }) => ({ address, reason })));
    const known = await ledger.suppressions(merged.map((e) => e.address));
    const pending: SuppressionEntry[] = [];
    const toMakePermanent: string[] = [];
    for (const entry of merged) {
      const change = suppressionChange(known.get(entry.address), entry);
      if (change === 'call') pending.push(entry);
      else if (change === 'make-permanent') toMakePermanent.push(entry.address);
    }
    if (toMakePermanent.length > 0) await ledger.makePermanent(toMakePermanent, this.clock());
    const skipped = merged.length - pending.length;
    const madePermanent = toMakePermanent.length;
    if (pending.length === 0) return { suppressed: [], imports: [], skipped, madePermanent, rejected: refused, retryLater: [] };
    if (pending.length >= importThreshold) {
      const started = await this.startImports('PUT', pending, attempt);
      return { suppressed: [], imports: started.imports, skipped, madePermanent, rejected: [...refused, ...started.rejected], retryLater: [] };
    }
    const each = await this.callEach(pending, (entry) => this.options.list.suppress(entry.address, entry.reason));
    await this.settle(each.done, { via: 'put' });
    return { suppressed: each.done, rejected: [...refused, ...each.rejected], retryLater: each.retryLater, imports: [], skipped, madePermanent };
  }

  /**
   * The hourly tick: claims the temporary suppressions that are due, drops schedule entries the
   * ledger no longer backs, and hands the rest over for removal (at most one DELETE import's worth
   * per tick; the next tick takes the rest).
   */
  public async expire(): Promise<ExpireOutcome> {
    const { ledger, queue, temporaryForSeconds, maxRowsPerDelete, expiryLeaseSeconds } = this.options;
    if (temporaryForSeconds === 0) return { due: 0, stale: 0 };
    const claimed = await ledger.claimDueExpiries(this.clock(), maxRowsPerDelete, expiryLeaseSeconds);
    if (claimed.length === 0) return { due: 0, stale: 0 };
    const known = await ledger.suppressions(claimed.map((d) => d.address));
    const stale = claimed.filter((d) => known.get(d.address)?.temporaryUntil !== d.until);
    await ledger.dropExpiries(stale);
    const due = claimed.filter((d) => known.get(d.address)?.temporaryUntil === d.until).map((d) => d.address);
    if (due.length > 0) await queue.unsuppress(due, 1);
    return { due: due.length, stale: stale.length };
  }

  /**
   * Takes temporary suppressions off the list once they are due: only addresses the ledger holds
   * as temporary and due now are touched, so a hard bounce or complaint since keeps an address on
   * the list. Settled like suppressions: announced ("Address Unsuppressed"), recorded, and an
   * address that became permanent while it was removed is put back.
   */
  public async unsuppress(addresses: readonly string[], attempt = 1): Promise<RemoveOutcome> {
    const { ledger, importThreshold } = this.options;
    const now = this.clock();
    const refused: Array<{ entry: SuppressionEntry; why: string }> = [];
    const readable = new Set<string>();
    for (const address of addresses) {
      const read = readAddress(address);
      if (read.address === undefined) refused.push({ entry: removal(address), why: `SES would refuse this address: ${read.problem}` });
      else readable.add(read.address);
    }
    const known = await ledger.suppressions([...readable]);
    const due = [...readable].filter((address) => {
      const until = known.get(address)?.temporaryUntil;
      return until !== undefined && Date.parse(until) <= now.getTime();
    });
    const skipped = readable.size - due.length;
    const nothing = { removed: [], imports: [], putBack: 0, retryLater: [] };
    if (due.length === 0) return { ...nothing, skipped, rejected: refused };
    if (due.length >= importThreshold) {
      const started = await this.startImports('DELETE', due.map(removal), attempt);
      await this.dropRejected(started.rejected, known);
      return { ...nothing, imports: started.imports, skipped, rejected: [...refused, ...started.rejected] };
    }
    const each = await this.callEach(due.map(removal), (entry) => this.options.list.unsuppress(entry.address));
    await this.dropRejected(each.rejected, known);
    const removed = each.done.map((e) => e.address);
    const putBack = await this.settleRemoval(removed, { via: 'put' });
    return { removed, imports: [], skipped, putBack, rejected: [...refused, ...each.rejected], retryLater: each.retryLater };
  }

  /**
   * Looks at an import job once: reschedules the next look, or settles its rows. Only rows SES is
   * known to have accepted are settled (announced, recorded); the others are retried as a new job,
   * and parked with the reason once their attempts are spent. A job that is still running after
   * `maxLooks` looks is given up on in the same way: the loop has a bound.
   */
  public async follow(job: ImportJobRef, attempt: number, polls: number): Promise<FollowOutcome> {
    const { imports, queue, maxAttempts, maxLooks, followDelay } = this.options;
    const action = job.action ?? 'PUT';
    const status = await imports.status(job.jobId);
    if (status.state === 'running' && polls + 1 < maxLooks) {
      const next = followDelaySeconds(polls + 1, followDelay.initialSeconds, followDelay.maxSeconds);
      await queue.followImport(job, attempt, polls + 1, next);
      return { state: 'running', nextLookInSeconds: next };
    }
    const rows = await imports.rows(job);
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
    const provenance: SuppressionProvenance = { via: 'import', jobId: job.jobId };
    if (action === 'DELETE') await this.settleRemoval(done.map((e) => e.address), provenance);
    else await this.settle(done, provenance);
    if (attempt < maxAttempts) {
      if (action === 'DELETE') await queue.unsuppress(notDone.map((e) => e.address), attempt + 1);
      else await queue.retry(notDone, attempt + 1);
      return { state, action, suppressed: done.length, retried: notDone.length, rejected: [] };
    }
    const rejected = notDone.map((entry) => ({ entry, why }));
    if (action === 'DELETE') await this.dropRejected(rejected, await this.options.ledger.suppressions(notDone.map((e) => e.address)));
    return { state, action, suppressed: done.length, retried: 0, rejected };
  }

  /** One import job per chunk; a chunk SES refuses for good (bad request, sandbox) is rejected with SES's reason. */
  private async startImports(action: ImportAction, pending: readonly SuppressionEntry[], attempt: number): Promise<Pick<WriteOutcome, 'imports' | 'rejected'>> {
    const { imports, queue, followDelay } = this.options;
    const maxRows = action === 'PUT' ? this.options.maxRowsPerImport : this.options.maxRowsPerDelete;
    const started: ImportJobRef[] = [];
    const rejected: Array<{ entry: SuppressionEntry; why: string }> = [];
    for (const rows of chunk(pending, maxRows)) {
      let job: ImportJobRef;
      try {
        job = await imports.start(rows, action);
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
   * One SES call per entry, in order. SES failing transiently stops the run (the account is most
   * likely throttled): what is left is retried later; the caller settles what succeeded.
   */
  private async callEach(
    pending: readonly SuppressionEntry[],
    call: (entry: SuppressionEntry) => Promise<void>,
  ): Promise<{ done: SuppressionEntry[]; rejected: Array<{ entry: SuppressionEntry; why: string }>; retryLater: SuppressionEntry[] }> {
    const done: SuppressionEntry[] = [];
    const rejected: Array<{ entry: SuppressionEntry; why: string }> = [];
    for (const [i, entry] of pending.entries()) {
      try {
        await call(entry);
        done.push(entry);
      } catch (error) {
        if (error instanceof SuppressionRejectedError) {
          rejected.push({ entry, why: error.message });
          continue;
        }
        return { done, rejected, retryLater: pending.slice(i) };
      }
    }
    return { done, rejected, retryLater: [] };
  }

  /** Announces what SES accepted, then records it: a failure in between announces again, never loses one. */
  private async settle(entries: readonly SuppressionEntry[], provenance: SuppressionProvenance): Promise<void> {
    if (entries.length === 0) return;
    const at = this.clock();
    const until = new Date(at.getTime() + this.options.temporaryForSeconds * 1000).toISOString();
    const accepted = entries.map((e): AcceptedSuppression => (e.temporary && this.options.temporaryForSeconds > 0 ? { ...e, until } : { address: e.address, reason: e.reason }));
    await this.options.announcements.announce(accepted, provenance, at);
    await this.options.ledger.recordSuppressed(accepted, provenance, at);
  }

  /**
   * Announces removals SES accepted, then records them. An address that became permanent while
   * it was being removed (a complaint arrived) is put straight back and announced again.
   * @returns how many were put back
   */
  private async settleRemoval(addresses: readonly string[], provenance: SuppressionProvenance): Promise<number> {
    if (addresses.length === 0) return 0;
    const at = this.clock();
    await this.options.announcements.announceRemoval(addresses, provenance, at);
    const kept = await this.options.ledger.recordUnsuppressed(addresses, provenance, at);
    for (const [address, reason] of kept) await this.options.list.suppress(address, reason);
    if (kept.size > 0) await this.options.announcements.announce([...kept].map(([address, reason]) => ({ address, reason })), { via: 'put' }, this.clock());
    return kept.size;
  }

  /**
   * A removal SES refuses for good is parked for a human; its schedule entry goes, so the hourly
   * tick does not claim it again and again (the address stays on the list, which is the safe side).
   */
  private async dropRejected(rejected: ReadonlyArray<{ entry: SuppressionEntry }>, known: ReadonlyMap<string, { temporaryUntil?: string }>): Promise<void> {
    const expiries: DueExpiry[] = [];
    for (const { entry } of rejected) {
      const until = known.get(entry.address)?.temporaryUntil;
      if (until !== undefined) expiries.push({ address: entry.address, until });
    }
    if (expiries.length > 0) await this.options.ledger.dropExpiries(expiries);
  }
}

/** An address to take off the list, as an entry: the pipeline only ever removes temporary BOUNCE suppressions. */
function removal(address: string): SuppressionEntry {
  return { address, reason: 'BOUNCE', temporary: true };
}
