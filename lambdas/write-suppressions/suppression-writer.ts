import { readAddress } from '../shared/address.js';
import { SuppressionRejectedError } from '../shared/errors.js';
import type { AcceptedSuppression, DueExpiry, LedgerEntry, SuppressionProvenance } from './ports.js';
import type { ExpireOutcome, FollowOutcome, Rejection, RemoveOutcome, SuppressionWriterOptions, TimeLeft, WriteOutcome } from './suppression-writer-contract.js';
import { chunk, mergeEntries, removalEntry, type ImportJobRef, type SuppressionEntry } from '../shared/suppression.js';
import { followDelaySeconds, matchFailedRecords } from './import-files.js';

/**
 * Looks at a prepared job without a recorded id before it is given up on as unrecorded: 10 + 20 +
 * 40 + 80 + 160 s, longer than the writer's run, so the run that prepared it has ended (recorded
 * the id, or died and left its message to be retried) by the last look.
 */
const UNRECORDED_LOOKS = 5;

/**
 * The one door to the SES account-level suppression list. It runs one run at a time (the handler
 * holds the writer's lease), so nothing else changes the list or the ledger while it reads and
 * writes them; only SES's own import jobs run beside it.
 *
 * It puts addresses on the list at any burst size within SES's ~1 request/s: skips those already
 * there, suppresses a trickle with single calls and a flood with import jobs (one call per up to
 * 100,000 addresses), which it follows to their end through the queue. Temporary suppressions
 * (soft bounces escalated) leave the list by single calls, a tick's worth at a time. No SES call
 * starts unless the run has time to finish it and settle; what is not reached goes back to the
 * queue. Failed rows are retried, then surfaced; none is dropped.
 */
export class SuppressionWriter {
  private readonly clock: () => Date;

  public constructor(private readonly options: SuppressionWriterOptions) {
    if (options.importThreshold < 1) throw new Error(`importThreshold must be at least 1, got ${options.importThreshold}`);
    if (!(options.temporaryForSeconds >= 0)) throw new Error(`temporaryForSeconds must be 0 or more, got ${options.temporaryForSeconds}`);
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Suppresses these addresses (any number; duplicates and no-ops are dropped first). The entries of
   * an operator's `request` are permanent and recorded as the operator's; none ever weakens a COMPLAINT.
   */
  public async write(requested: readonly SuppressionEntry[], attempt: number, timeLeft: TimeLeft, request?: string): Promise<WriteOutcome> {
    const { ledger, importThreshold, temporaryForSeconds } = this.options;
    const { readable, refused } = readableEntries(requested);
    const mergedAll = mergeEntries(temporaryForSeconds > 0 && request === undefined ? readable : readable.map(({ address, reason }) => ({ address, reason })));
    // A late delivery may have withdrawn an escalation since it was handed over: its history says.
    const standing = await this.standing(mergedAll.filter((e) => e.temporary === true).map((e) => e.address));
    const merged = mergedAll.filter((e) => e.temporary !== true || standing.has(e.address));
    const known = await ledger.suppressions(merged.map((e) => e.address), true);
    const pending: SuppressionEntry[] = [];
    let madePermanent = 0;
    for (const entry of merged) {
      const change = suppressionChange(known.get(entry.address), entry);
      if (change === 'call') pending.push(entry);
      else if (change === 'make-permanent') {
        await ledger.makePermanent(entry.address, this.clock());
        madePermanent++;
      }
    }
    const outcome = { suppressed: [], imports: [], skipped: mergedAll.length - pending.length - madePermanent, madePermanent, retryLater: [], unreached: [] };
    if (pending.length === 0) return this.told(request, { ...outcome, rejected: refused });
    if (pending.length >= importThreshold) {
      const started = await this.startImports(pending, attempt, timeLeft, request);
      return this.told(request, { ...outcome, ...started, rejected: [...refused, ...started.rejected] });
    }
    const each = await this.callEach(pending, timeLeft, (entry) => this.options.list.suppress(entry.address, entry.reason));
    const provenance: SuppressionProvenance = { via: request !== undefined ? 'operator-import' : 'put' };
    await this.settle(each.done, provenance);
    return this.told(request, { ...outcome, suppressed: each.done, rejected: [...refused, ...each.rejected], retryLater: each.retryLater, unreached: each.unreached });
  }

  /** The rows of an operator's request that SES refused are recorded under it, for the CLI that waits for them. */
  private async told<T extends { readonly rejected: readonly Rejection[] }>(request: string | undefined, outcome: T): Promise<T> {
    if (request !== undefined && outcome.rejected.length > 0) await this.options.operatorRequests.refused(outcome.rejected, request, this.clock());
    return outcome;
  }

  /**
   * The tick: takes temporary suppressions that are due off the list, at most `removalsPerTick`,
   * earliest first; those not reached stay due for the next tick. Schedule entries the ledger no
   * longer backs are dropped. With a period of 0 every due one stays for good instead.
   */
  public async expire(timeLeft: TimeLeft): Promise<ExpireOutcome> {
    const { ledger, temporaryForSeconds, removalsPerTick } = this.options;
    const due = await ledger.dueExpiries(this.clock(), removalsPerTick);
    const known = await ledger.suppressions(due.map((d) => d.address), true);
    const stale = due.filter((d) => known.get(d.address)?.temporaryUntil !== d.until);
    await ledger.dropExpiries(stale);
    let current = due.filter((d) => known.get(d.address)?.temporaryUntil === d.until);
    let keptForGood = 0;
    if (temporaryForSeconds === 0) {
      // Kept for good now: those whose removal began are finished, the others stay.
      const kept = current.filter((d) => !known.get(d.address)?.removing);
      for (const d of kept) await ledger.makePermanent(d.address, this.clock());
      await ledger.dropExpiries(kept);
      keptForGood = kept.length;
      current = current.filter((d) => known.get(d.address)?.removing);
    }
    const removed = await this.remove(current, { via: 'expiry' }, timeLeft);
    return { ...removed, stale: stale.length, keptForGood };
  }

  /**
   * Withdraws temporary suppressions whose escalation a late delivery cancelled: an address the
   * ledger holds as temporary whose soft-bounce history no longer stands escalated is taken off
   * the list now. A permanent suppression (a hard bounce, a complaint, an operator's import) stays.
   */
  public async withdraw(addresses: readonly string[], timeLeft: TimeLeft): Promise<RemoveOutcome> {
    return this.removeTemporary(addresses, timeLeft, { via: 'withdrawal' }, async (temporary) => {
      const standing = await this.standing(temporary.map((d) => d.address));
      return temporary.filter((d) => !standing.has(d.address));
    });
  }

  /** Takes off the list those of these addresses whose temporary suppression is due (a redrive of a removal that failed). */
  public async unsuppress(addresses: readonly string[], timeLeft: TimeLeft): Promise<RemoveOutcome> {
    const now = this.clock().toISOString();
    return this.removeTemporary(addresses, timeLeft, { via: 'expiry' }, (temporary) => Promise.resolve(temporary.filter((d) => d.until <= now)));
  }

  /**
   * Puts again at SES the reason the ledger holds for each of these addresses: an import job's
   * BOUNCE may have landed after a complaint recorded while it ran. Nothing is announced again.
   * @returns as a removal's outcome: `removed` are those put again
   */
  public async restore(addresses: readonly string[], timeLeft: TimeLeft): Promise<RemoveOutcome> {
    const known = await this.options.ledger.suppressions(addresses, true);
    const entries = [...known].map(([address, entry]) => ({ address, reason: entry.reason }));
    const each = await this.callEach(entries, timeLeft, (entry) => this.options.list.suppress(entry.address, entry.reason));
    const addressesOf = (list: readonly SuppressionEntry[]): string[] => list.map((e) => e.address);
    return { removed: addressesOf(each.done), skipped: addresses.length - known.size, rejected: each.rejected, retryLater: addressesOf(each.retryLater), unreached: addressesOf(each.unreached) };
  }

  /**
   * An operator's removal (`suppression remove`): takes the address off the list whatever put it
   * there, forgets it in the ledger (the next hard bounce suppresses it again), and records the
   * outcome, which the CLI waits for. One SES refuses is recorded as `refused`, with SES's reason.
   * @returns `unreached` when the run has no time left for the call
   */
  public async removeForOperator(address: string, request: string, note: string | undefined, timeLeft: TimeLeft): Promise<'removed' | 'not-listed' | 'refused' | 'unreached'> {
    const read = readAddress(address);
    if (read.address === undefined) throw new SuppressionRejectedError(`SES would refuse this address: ${read.problem}`);
    if (!this.canCall(timeLeft)) return 'unreached';
    let outcome: 'removed' | 'not-listed';
    try {
      outcome = await this.options.list.unsuppress(read.address);
    } catch (error) {
      if (!(error instanceof SuppressionRejectedError)) throw error;
      await this.options.operatorRequests.settleRemoval(read.address, 'refused', request, error.message, this.clock());
      return 'refused';
    }
    if (outcome === 'removed') await this.options.announcements.announceRemoval([read.address], { via: 'operator-removal' }, this.clock());
    await this.options.operatorRequests.settleRemoval(read.address, outcome, request, note, this.clock());
    return outcome;
  }

  /**
   * Looks at an import job once: reschedules the next look, or settles its rows. Only rows SES is
   * known to have accepted are settled (announced, recorded); the others are retried as a new job,
   * and parked with the reason once their attempts are spent. A job that is still running after
   * `maxLooks` looks is given up on in the same way: the loop has a bound, and a late end only adds
   * what is on the list already.
   */
  public async follow(prepared: ImportJobRef, attempt: number, polls: number, timeLeft: TimeLeft): Promise<FollowOutcome> {
    const { imports, queue, maxAttempts, maxLooks, followDelay } = this.options;
    if (prepared.action === 'DELETE') return { state: 'superseded' };
    // Time for its looks and, if it has ended, to settle each of its rows.
    if (!this.canCall(timeLeft, prepared.rows * this.options.runBudget.settleMsPerRow)) return { state: 'unreached' };
    const lookAgain = async (job: ImportJobRef): Promise<FollowOutcome> => {
      const next = followDelaySeconds(polls + 1, followDelay.initialSeconds, followDelay.maxSeconds);
      await queue.followImport(job, attempt, polls + 1, next);
      return { state: 'running', jobId: job.jobId, nextLookInSeconds: next };
    };
    let job = prepared;
    if (job.jobId === '') {
      // The follow-up of a job that was about to be created: its id is recorded beside its rows.
      const recorded = await imports.recordedJob(job);
      if (recorded === 'not-created') return { state: 'not-created' };
      if (recorded === undefined) return polls + 1 >= UNRECORDED_LOOKS ? { state: 'unrecorded' } : lookAgain(job);
      job = { ...job, jobId: recorded.jobId };
    }
    const status = await imports.status(job.jobId);
    if (status.state === 'running' && polls + 1 < maxLooks) return lookAgain(job);
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
    const complained = await this.settle(done, { via: job.request !== undefined ? 'operator-import' : 'import', jobId: job.jobId });
    // A complaint recorded while the job ran: the job's BOUNCE may have landed after it at SES.
    if (complained.length > 0) await queue.restore(complained);
    // A delivery that withdrew an escalation while the job ran found nothing on the ledger to take off.
    const temporary = done.filter((e) => e.temporary === true).map((e) => e.address);
    const standing = await this.standing(temporary);
    const withdrawn = temporary.filter((address) => !standing.has(address));
    if (withdrawn.length > 0) await queue.withdraw(withdrawn);
    if (attempt < maxAttempts) {
      await queue.retry(notDone, attempt + 1, job.request);
      return { state, jobId: job.jobId, suppressed: done.length, retried: notDone.length, rejected: [] };
    }
    return this.told(job.request, { state, jobId: job.jobId, suppressed: done.length, retried: 0, rejected: notDone.map((entry) => ({ entry, why })) });
  }

  /** Takes off the list those of these addresses the ledger holds as temporary (or being removed) that `pick` chooses. */
  private async removeTemporary(
    addresses: readonly string[],
    timeLeft: TimeLeft,
    provenance: SuppressionProvenance,
    pick: (temporary: readonly DueExpiry[]) => Promise<readonly DueExpiry[]>,
  ): Promise<RemoveOutcome> {
    const readable = [...new Set(addresses.flatMap((a) => readAddress(a).address ?? []))];
    const refused = addresses.filter((a) => readAddress(a).address === undefined).map((a) => ({ entry: removalEntry(a), why: `SES would refuse this address: ${readAddress(a).problem}` }));
    const known = await this.options.ledger.suppressions(readable, true);
    const temporary = [...known].flatMap(([address, entry]) => (entry.temporaryUntil !== undefined ? [{ address, until: entry.temporaryUntil, entry }] : []));
    // A removal that began (its run died) is finished whatever `pick` says: SES may have taken it off.
    const resumed = temporary.filter((d) => d.entry.removing);
    const picked = await pick(temporary.filter((d) => !d.entry.removing));
    const outcome = await this.remove([...resumed, ...picked].map(({ address, until }) => ({ address, until })), provenance, timeLeft);
    return { ...outcome, skipped: readable.length - resumed.length - picked.length, rejected: [...refused, ...outcome.rejected] };
  }

  /**
   * Takes these temporary suppressions off the list, one call each: marked `removing` first, then
   * SES, then announced and ended in the ledger. One SES refuses to take off stays for good.
   */
  private async remove(expiries: readonly DueExpiry[], provenance: SuppressionProvenance, timeLeft: TimeLeft): Promise<RemoveOutcome> {
    const { ledger, list, announcements } = this.options;
    const removed: DueExpiry[] = [];
    const rejected: Rejection[] = [];
    let retryLater: string[] = [];
    let unreached: string[] = [];
    for (const [i, expiry] of expiries.entries()) {
      if (!this.canCall(timeLeft)) {
        unreached = expiries.slice(i).map((d) => d.address);
        break;
      }
      await ledger.startRemoval(expiry);
      try {
        await list.unsuppress(expiry.address);
        removed.push(expiry);
      } catch (error) {
        if (!(error instanceof SuppressionRejectedError)) {
          retryLater = expiries.slice(i).map((d) => d.address);
          break;
        }
        await ledger.makePermanent(expiry.address, this.clock());
        rejected.push({ entry: removalEntry(expiry.address), why: `${error.message}; it stays on the list for good` });
      }
    }
    if (removed.length > 0) {
      const at = this.clock();
      // Announced before the ledger forgets it: a run that dies between announces again, never loses one.
      await announcements.announceRemoval(removed.map((d) => d.address), provenance, at);
      await ledger.finishRemoval(removed, provenance, at);
    }
    return { removed: removed.map((d) => d.address), skipped: 0, rejected, retryLater, unreached };
  }

  /** One import job per chunk, each followed through the queue; a chunk SES refuses for good is rejected with SES's reason. */
  private async startImports(pending: readonly SuppressionEntry[], attempt: number, timeLeft: TimeLeft, request: string | undefined): Promise<Pick<WriteOutcome, 'imports' | 'rejected' | 'unreached' | 'retryLater'>> {
    const { imports, queue, followDelay, maxRowsPerImport } = this.options;
    const started: ImportJobRef[] = [];
    const rejected: Rejection[] = [];
    const chunks = chunk(pending, maxRowsPerImport);
    for (const [n, rows] of chunks.entries()) {
      if (!this.canCall(timeLeft)) return { imports: started, rejected, unreached: chunks.slice(n).flat(), retryLater: [] };
      const job = { ...(await imports.prepare(rows)), ...(request !== undefined ? { request } : {}) };
      // The follow-up goes before the job is created: a job SES accepts is always followed, even if
      // this run dies (or SQS refuses) before it could say so. It finds the job's id beside its rows.
      await queue.followImport(job, attempt, 0, followDelay.initialSeconds);
      try {
        started.push({ ...job, jobId: await imports.create(job) });
      } catch (error) {
        if (error instanceof SuppressionRejectedError) {
          rejected.push(...rows.map((entry) => ({ entry, why: error.message })));
          continue;
        }
        // Throttled or failed: the jobs started stand (their follow-ups settle them); the messages
        // holding this chunk and the rest come again after SQS's visibility timeout.
        return { imports: started, rejected, unreached: [], retryLater: chunks.slice(n).flat() };
      }
    }
    return { imports: started, rejected, unreached: [], retryLater: [] };
  }

  /**
   * One SES call per entry, in order, while the run has time for one. SES failing transiently
   * stops the calls (the account is most likely throttled): the rest is retried later.
   */
  private async callEach<T extends SuppressionEntry>(pending: readonly T[], timeLeft: TimeLeft, call: (entry: T) => Promise<unknown>): Promise<{ done: T[]; rejected: Rejection[]; retryLater: T[]; unreached: T[] }> {
    const done: T[] = [];
    const rejected: Rejection[] = [];
    for (const [i, entry] of pending.entries()) {
      if (!this.canCall(timeLeft)) return { done, rejected, retryLater: [], unreached: pending.slice(i) };
      try {
        await call(entry);
        done.push(entry);
      } catch (error) {
        if (!(error instanceof SuppressionRejectedError)) return { done, rejected, retryLater: pending.slice(i), unreached: [] };
        rejected.push({ entry, why: error.message });
      }
    }
    return { done, rejected, retryLater: [], unreached: [] };
  }

  /**
   * Announces what SES accepted, then records it: a failure in between announces again, never
   * loses one.
   * @returns addresses the ledger holds as COMPLAINT, which a BOUNCE of these did not replace
   */
  private async settle(entries: readonly SuppressionEntry[], provenance: SuppressionProvenance): Promise<string[]> {
    if (entries.length === 0) return [];
    const { ledger, announcements, temporaryForSeconds } = this.options;
    const at = this.clock();
    const until = new Date(at.getTime() + temporaryForSeconds * 1000).toISOString();
    const accepted = entries.map((e): AcceptedSuppression => (e.temporary && temporaryForSeconds > 0 ? { ...e, until } : { address: e.address, reason: e.reason }));
    await announcements.announce(accepted, provenance, at);
    return ledger.recordSuppressed(accepted, provenance, at);
  }

  private async standing(addresses: readonly string[]): Promise<ReadonlySet<string>> {
    return addresses.length > 0 ? this.options.escalations.escalated(addresses) : new Set<string>();
  }

  /** Whether the run has time to make one SES call and still settle (`more`: settling that call's outcome takes). */
  private canCall(timeLeft: TimeLeft, more = 0): boolean {
    const { callMs, reserveMs } = this.options.runBudget;
    return timeLeft() >= callMs + reserveMs + more;
  }
}

/** Entries SES would accept, and those it would refuse (from a hand-edited redrive, say), surfaced with why. */
function readableEntries(requested: readonly SuppressionEntry[]): { readable: SuppressionEntry[]; refused: Rejection[] } {
  const refused: Rejection[] = [];
  const readable = requested.filter((entry) => {
    const problem = readAddress(entry.address).problem;
    if (problem !== undefined) refused.push({ entry, why: `SES would refuse this address: ${problem}` });
    return problem === undefined;
  });
  return { readable, refused };
}

/**
 * What a request asks, given what the ledger knows: `call` SES (the address is not on the list,
 * its removal began and SES may have taken it off, or BOUNCE → COMPLAINT, the one upgrade);
 * `make-permanent` (a hard bounce or complaint keeps a temporary suppression: the ledger only);
 * or `nothing`.
 */
export function suppressionChange(current: LedgerEntry | undefined, requested: SuppressionEntry): 'call' | 'make-permanent' | 'nothing' {
  if (current === undefined || current.removing) return 'call';
  if (current.reason === 'BOUNCE' && requested.reason === 'COMPLAINT') return 'call';
  return current.temporaryUntil !== undefined && requested.temporary !== true ? 'make-permanent' : 'nothing';
}
