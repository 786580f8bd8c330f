import { SuppressionRejectedError } from './errors.js';
import type { AcceptedSuppression, DueExpiry, PutBack, SuppressionProvenance } from './ports.js';
import { readAddress } from './address.js';
import { PutBacks } from './put-backs.js';
import type { ExpireOutcome, FollowOutcome, RemoveOutcome, SuppressionWriterOptions, WriteOutcome } from './suppression-writer-contract.js';
import {
  chunk,
  followDelaySeconds,
  matchFailedRecords,
  mergeEntries,
  removalEntry,
  suppressionChange,
  type ImportAction,
  type ImportJobRef,
  type LedgerEntry,
  type PutBackTerms,
  type SuppressionEntry,
} from './suppression.js';

/**
 * Looks at a prepared job without a recorded id before it is given up on as unrecorded: 10 + 20 +
 * 40 + 80 + 160 s, longer than the writer's 3-minute run, so the run that prepared it has ended
 * (recorded the id, or failed and left its message to be retried) by the last look.
 */
const UNRECORDED_LOOKS = 5;

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
  private readonly putBacks: PutBacks;

  public constructor(private readonly options: SuppressionWriterOptions) {
    if (options.importThreshold < 1) throw new Error(`importThreshold must be at least 1, got ${options.importThreshold}`);
    if (!(options.temporaryForSeconds >= 0)) throw new Error(`temporaryForSeconds must be 0 or more, got ${options.temporaryForSeconds}`);
    this.clock = options.clock ?? (() => new Date());
    this.putBacks = new PutBacks({ ...options, clock: this.clock, startJobs: async (rows, attempt, terms) => (await this.startImports('PUT', rows, attempt, terms)).rejected });
  }

  /**
   * Suppresses these addresses (any number; duplicates and no-ops are dropped first).
   *
   * A BOUNCE asked for an address the ledger holds as COMPLAINT is restored (asking SES first)
   * rather than skipped: it may be one an earlier run of this request put at SES after the
   * complaint, and that run died (or its message was parked and redriven) before it could restore
   * the complaint. Rare, since SES sends nothing to a listed address: one SES read each.
   */
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
    const mergedAll = mergeEntries(temporaryForSeconds > 0 ? readable : readable.map(({ address, reason }) => ({ address, reason })));
    // A late delivery may have withdrawn an escalation since it was handed over: its history says.
    const temporary = mergedAll.filter((e) => e.temporary === true).map((e) => e.address);
    const standing = temporary.length > 0 ? await this.options.escalations.escalated(temporary) : new Set<string>();
    const merged = mergedAll.filter((e) => e.temporary !== true || standing.has(e.address));
    const withdrawnMeanwhile = mergedAll.length - merged.length;
    const known = await ledger.suppressions(merged.map((e) => e.address));
    const pending: SuppressionEntry[] = [];
    const restore: string[] = [];
    let madePermanent = 0;
    for (const entry of merged) {
      const held = known.get(entry.address);
      const change = suppressionChange(held, entry);
      const decided = change === 'contested' ? await this.keep(entry, held) : change;
      if (decided === 'call') pending.push(entry);
      else if (decided === 'kept') madePermanent++;
      else if (entry.reason === 'BOUNCE' && held?.reason === 'COMPLAINT') restore.push(entry.address);
    }
    if (restore.length > 0) await this.options.queue.unsuppress(restore, 1);
    const skipped = merged.length - pending.length + withdrawnMeanwhile;
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
   * Keeps on the list an address whose ledger entry is temporary (a hard bounce or complaint asks
   * for it to stay) or being removed: makes it permanent while no removal has begun, else marks it
   * wanted back for the remover to put back. An entry only moves on (temporary → removing → gone),
   * so each failed condition is followed by at most two more tries.
   * @returns `kept` (the ledger will keep it on the list), `call` (SES must be called: the entry is
   *   gone, or a complaint upgrades it), or `nothing`
   */
  private async keep(entry: SuppressionEntry, first: LedgerEntry | undefined): Promise<'kept' | 'call' | 'nothing'> {
    const { ledger } = this.options;
    let current = first;
    for (let round = 0; round < 3; round++) {
      if (current === undefined) return 'call';
      if (current.removing) {
        // Soft bounces that escalated again want it back for another period, not for good.
        const until = entry.temporary === true ? new Date(this.clock().getTime() + this.options.temporaryForSeconds * 1000).toISOString() : undefined;
        if (await ledger.wantBack(entry.address, entry.reason, until)) return 'kept';
      } else if (current.temporaryUntil !== undefined && entry.temporary !== true) {
        const outcome = await ledger.makePermanent(entry.address, this.clock());
        if (outcome === 'done') return current.reason === 'BOUNCE' && entry.reason === 'COMPLAINT' ? 'call' : 'kept';
        if (outcome === 'absent') return 'call';
      } else {
        return suppressionChange(current, entry) === 'call' ? 'call' : 'nothing';
      }
      current = (await ledger.suppressions([entry.address], true)).get(entry.address);
    }
    throw new Error('a ledger entry changed three times while it was being kept; retry later');
  }

  /**
   * The hourly tick: claims the temporary suppressions that are due, drops schedule entries the
   * ledger no longer backs, and hands the rest over for removal (at most one DELETE import's worth
   * per tick; the next tick takes the rest). One claimed too often without being settled (its
   * messages keep failing) is given up on: kept on the list for good, and surfaced.
   */
  public async expire(): Promise<ExpireOutcome> {
    const { ledger, queue, temporaryForSeconds, maxRowsPerDelete, expiryLeaseSeconds, maxExpiryClaims } = this.options;
    const { claimed, exhausted } = await ledger.claimDueExpiries(this.clock(), maxRowsPerDelete, expiryLeaseSeconds, maxExpiryClaims);
    // Put back and kept first, then no longer claimed: a failure in between finds them again next time.
    const givenUp = await this.putBacks.undo(exhausted, `claimed ${maxExpiryClaims} times without being settled`);
    await ledger.dropExpiries(exhausted);
    if (claimed.length === 0) return { due: 0, stale: 0, rejected: givenUp };
    const known = await ledger.suppressions(claimed.map((d) => d.address), true);
    const stale = claimed.filter((d) => known.get(d.address)?.temporaryUntil !== d.until);
    await ledger.dropExpiries(stale);
    const due = claimed.filter((d) => known.get(d.address)?.temporaryUntil === d.until);
    if (temporaryForSeconds === 0) {
      // Suppressions are kept for good now: those not yet being removed stay.
      for (const d of due) if (!known.get(d.address)?.removing) await ledger.makePermanent(d.address, this.clock());
      const removing = due.filter((d) => known.get(d.address)?.removing);
      await ledger.dropExpiries(due.filter((d) => !known.get(d.address)?.removing));
      if (removing.length > 0) await queue.unsuppress(removing.map((d) => d.address), 1);
      return { due: removing.length, stale: stale.length, rejected: givenUp };
    }
    if (due.length > 0) await queue.unsuppress(due.map((d) => d.address), 1);
    return { due: due.length, stale: stale.length, rejected: givenUp };
  }

  /**
   * Takes temporary suppressions off the list once they are due: only addresses the ledger holds
   * as temporary and due now are touched (and those whose removal began before: it is finished), so
   * a hard bounce or complaint since keeps an address on the list. Settled like suppressions:
   * announced ("Address Unsuppressed"), recorded, and an address wanted back meanwhile is put back.
   *
   * An address of the message that the ledger holds but not as due (made permanent, written over,
   * suppressed again since) is put back on the list: an earlier delivery of this message may have
   * taken it off at SES and died before it could settle; SES's call is idempotent, and the case rare.
   */
  public async unsuppress(addresses: readonly string[], attempt = 1): Promise<RemoveOutcome> {
    const now = this.clock().getTime();
    return this.removeTemporary(addresses, attempt, (due) => Promise.resolve(due.filter((d) => Date.parse(d.until) <= now)), true, { via: 'put' });
  }

  /**
   * Withdraws temporary suppressions whose escalation a late delivery cancelled: an address the
   * ledger holds as temporary whose soft-bounce history no longer stands escalated is taken off the
   * list now, through the same removal as an expiry. A permanent suppression (a hard bounce, a
   * complaint) is never touched, nor one that soft bounces escalated again since.
   */
  public async withdraw(addresses: readonly string[], attempt = 1): Promise<RemoveOutcome> {
    return this.removeTemporary(
      addresses,
      attempt,
      async (temporary) => {
        const standing = temporary.length > 0 ? await this.options.escalations.escalated(temporary.map((d) => d.address)) : new Set<string>();
        return temporary.filter((d) => !standing.has(d.address));
      },
      false,
      { via: 'withdrawal' },
    );
  }

  /**
   * Takes off the list the temporary suppressions `pick` chooses among those the ledger holds (and
   * finishes those whose removal began before). With `restoreOthers`, an address of the message that
   * the ledger holds otherwise is put back (see {@link unsuppress}); without, it is left alone.
   */
  private async removeTemporary(
    addresses: readonly string[],
    attempt: number,
    pick: (temporary: readonly DueExpiry[]) => Promise<readonly DueExpiry[]>,
    restoreOthers: boolean,
    provenance: SuppressionProvenance,
  ): Promise<RemoveOutcome> {
    const { ledger, importThreshold } = this.options;
    const refused: Array<{ entry: SuppressionEntry; why: string }> = [];
    const readable = new Set<string>();
    for (const address of addresses) {
      const read = readAddress(address);
      if (read.address === undefined) refused.push({ entry: removalEntry(address), why: `SES would refuse this address: ${read.problem}` });
      else readable.add(read.address);
    }
    const known = await ledger.suppressions([...readable], true);
    const resumed: string[] = [];
    const temporary: DueExpiry[] = [];
    const restore: PutBack[] = [];
    const others: PutBack[] = [];
    for (const address of readable) {
      const entry = known.get(address);
      const until = entry?.temporaryUntil;
      if (entry === undefined) continue;
      // A removal that was wanted back before its writer died: straight to the put-back, SES is not asked to remove it again.
      if (entry.removing && entry.wantedBack !== undefined) restore.push({ address, reason: entry.wantedBack, ...(until !== undefined ? { until } : {}), ...(entry.wantedUntil !== undefined ? { keepUntil: entry.wantedUntil } : {}) });
      else if (entry.removing) resumed.push(address);
      else if (until !== undefined) temporary.push({ address, until });
      else others.push({ address, reason: entry.reason });
    }
    const due = await pick(temporary);
    if (restoreOthers) {
      const picked = new Set(due.map((d) => d.address));
      restore.push(...others, ...temporary.filter((d) => !picked.has(d.address)).map((d): PutBack => ({ address: d.address, reason: known.get(d.address)?.reason ?? 'BOUNCE', keepUntil: d.until })));
    }
    const notPutBack = (await this.putBacks.putOrRefuse(restore, attempt)).map(asRefusedPutBack);
    const putBack = restore.length - notPutBack.length;
    const removing = [...resumed, ...(await ledger.startRemoval(due))];
    const skipped = readable.size - removing.length - restore.length;
    const nothing = { removed: [], imports: [], retryLater: [] };
    if (removing.length === 0) return { ...nothing, skipped, putBack, rejected: refused, notPutBack };
    if (removing.length >= importThreshold) {
      const started = await this.startImports('DELETE', removing.map(removalEntry), attempt);
      const undone = await this.putBacks.undo(started.rejected.map((r) => ({ address: r.entry.address })), started.rejected[0]?.why ?? '');
      return { ...nothing, imports: started.imports, skipped, putBack, rejected: [...refused, ...undone], notPutBack };
    }
    const each = await this.callEach(removing.map(removalEntry), (entry) => this.options.list.unsuppress(entry.address));
    const rejected: Array<{ entry: SuppressionEntry; why: string }> = [];
    for (const { entry, why } of each.rejected) rejected.push(...(await this.putBacks.undo([{ address: entry.address }], why)));
    const removed = each.done.map((e) => e.address);
    const settled = await this.settleRemoval(removed, provenance);
    return {
      removed,
      imports: [],
      skipped,
      putBack: putBack + settled.putBack,
      rejected: [...refused, ...rejected],
      notPutBack: [...notPutBack, ...settled.notPutBack],
      retryLater: each.retryLater,
    };
  }

  /**
   * Looks at an import job once: reschedules the next look, or settles its rows. Only rows SES is
   * known to have accepted are settled (announced, recorded); the others are retried as a new job,
   * and parked with the reason once their attempts are spent. A PUT job that is still running after
   * `maxLooks` looks is given up on in the same way: the loop has a bound, and a late end only adds
   * what is on the list already. A DELETE job is never given up on, because it could still take
   * off the list an address that was put back since: it is followed to its end (the outcome says
   * once that it is overdue), and its rows stay marked `removing` until then.
   */
  public async follow(prepared: ImportJobRef, attempt: number, polls: number): Promise<FollowOutcome> {
    const { imports, queue, maxAttempts, maxLooks, followDelay } = this.options;
    const action = prepared.action ?? 'PUT';
    let job = prepared;
    if (job.jobId === '') {
      // The follow-up of a job that was about to be created: its id is recorded beside its rows.
      const recorded = await imports.recordedJob(job);
      if (recorded === 'not-created') return { state: 'not-created', action };
      if (recorded === undefined) {
        if (polls + 1 >= UNRECORDED_LOOKS) return { state: 'unrecorded', action };
        const next = followDelaySeconds(polls + 1, followDelay.initialSeconds, followDelay.maxSeconds);
        await queue.followImport(job, attempt, polls + 1, next);
        return { state: 'running', jobId: '', nextLookInSeconds: next };
      }
      job = { ...job, jobId: recorded.jobId };
    }
    const status = await imports.status(job.jobId);
    if (status.state === 'running' && (polls + 1 < maxLooks || action === 'DELETE')) {
      const next = followDelaySeconds(polls + 1, followDelay.initialSeconds, followDelay.maxSeconds);
      await queue.followImport(job, attempt, polls + 1, next);
      return { state: 'running', jobId: job.jobId, nextLookInSeconds: next, ...(polls + 1 === maxLooks ? { overdue: true } : {}) };
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
    const provenance: SuppressionProvenance = { via: 'import', jobId: job.jobId };
    if (job.putBack) {
      const put = rows.filter((_, i) => !failed.has(i)).map(asPutBack);
      const notPut = rows.filter((_, i) => failed.has(i)).map(asPutBack);
      await this.putBacks.settleJob(put, provenance, attempt);
      if (attempt < maxAttempts) {
        // Retried from the ledger, not from the job's file: what to put back may have changed since.
        await queue.unsuppress(notPut.map((e) => e.address), attempt + 1);
        return { state, jobId: job.jobId, action, putBack: true, suppressed: put.length, retried: notPut.length, rejected: [] };
      }
      return { state, jobId: job.jobId, action, putBack: true, suppressed: put.length, retried: 0, rejected: notPut.map(({ address, reason }) => ({ entry: { address, reason }, why })) };
    }
    const done = rows.filter((_, i) => !failed.has(i)).map((r) => r.entry);
    const notDone = rows.filter((_, i) => failed.has(i)).map((r) => r.entry);
    const { notPutBack } = action === 'DELETE' ? await this.settleRemoval(done.map((e) => e.address), provenance) : { notPutBack: [] };
    if (action === 'PUT') await this.settle(done, provenance);
    if (attempt < maxAttempts) {
      // A removal retried resumes: its entries are still marked `removing`.
      if (action === 'DELETE') await queue.unsuppress(notDone.map((e) => e.address), attempt + 1);
      else await queue.retry(notDone, attempt + 1);
      return { state, jobId: job.jobId, action, suppressed: done.length, retried: notDone.length, rejected: [], notPutBack };
    }
    if (action === 'DELETE') return { state, jobId: job.jobId, action, suppressed: done.length, retried: 0, rejected: await this.putBacks.undo(notDone.map((e) => ({ address: e.address })), why), notPutBack };
    return { state, jobId: job.jobId, action, suppressed: done.length, retried: 0, rejected: notDone.map((entry) => ({ entry, why })) };
  }

  /**
   * One import job per chunk; a chunk SES refuses for good (bad request, sandbox) is rejected with
   * SES's reason. A put-back job carries what each row settles.
   */
  private async startImports(
    action: ImportAction,
    pending: readonly SuppressionEntry[],
    attempt: number,
    putBack?: readonly PutBackTerms[],
  ): Promise<Pick<WriteOutcome, 'imports' | 'rejected'>> {
    const { imports, queue, followDelay } = this.options;
    const maxRows = action === 'PUT' ? this.options.maxRowsPerImport : this.options.maxRowsPerDelete;
    const started: ImportJobRef[] = [];
    const rejected: Array<{ entry: SuppressionEntry; why: string }> = [];
    for (const [n, rows] of chunk(pending, maxRows).entries()) {
      const prepared = await imports.prepare(rows, action, putBack?.slice(n * maxRows, n * maxRows + rows.length));
      // The follow-up goes before the job is created: a job SES accepts is always followed, even if
      // this run dies (or SQS refuses) before it could say so. It finds the job's id beside its rows.
      await queue.followImport(prepared, attempt, 0, followDelay.initialSeconds);
      try {
        started.push({ ...prepared, jobId: await imports.create(prepared) });
      } catch (error) {
        if (!(error instanceof SuppressionRejectedError)) throw error;
        rejected.push(...rows.map((entry) => ({ entry, why: error.message })));
      }
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

  /**
   * Announces what SES accepted, then records it: a failure in between announces again, never
   * loses one.
   *
   * A complaint another writer recorded since this one read the ledger (its SES call and its record
   * are apart by its other calls, or by an import job's run) is never recorded over as a bounce:
   * the ledger checks it in the write itself, and such an address is restored as COMPLAINT at SES,
   * asking first (this writer's BOUNCE may have landed after the complaint).
   */
  private async settle(entries: readonly SuppressionEntry[], provenance: SuppressionProvenance): Promise<void> {
    if (entries.length === 0) return;
    const { ledger, announcements, temporaryForSeconds } = this.options;
    const at = this.clock();
    const until = new Date(at.getTime() + temporaryForSeconds * 1000).toISOString();
    const accepted = entries.map((e): AcceptedSuppression => (e.temporary && temporaryForSeconds > 0 ? { ...e, until } : { address: e.address, reason: e.reason }));
    await announcements.announce(accepted, provenance, at);
    const complained = await ledger.recordSuppressed(accepted, provenance, at);
    // Another writer recorded a complaint since this one read the ledger: the ledger kept it, and SES
    // is asked again (a restore, by a message). If this run dies first, its message comes back and
    // settles again.
    if (complained.length > 0) await this.options.queue.unsuppress(complained, 1);
    // A delivery that withdrew an escalation while SES was taking it (an import job runs for
    // minutes) found nothing on the ledger to take off: it is taken off now, by a message.
    const temporary = accepted.filter((e) => e.until !== undefined).map((e) => e.address);
    const standing = temporary.length > 0 ? await this.options.escalations.escalated(temporary) : new Set<string>();
    const withdrawn = temporary.filter((address) => !standing.has(address));
    if (withdrawn.length > 0) await this.options.queue.withdraw(withdrawn);
  }

  /**
   * Announces removals SES accepted, then records them; an address wanted back meanwhile (a hard
   * bounce or complaint arrived) is put straight back. Each step can be redone: until the ledger
   * has settled an address, its entry stays marked `removing`, and a retry finishes the job.
   *
   * Every removed address is looked at again after the longest run of the writer: another delivery
   * of this removal may have ended it first, and a hard bounce suppressed it anew before this
   * delivery's removal reached SES; the look puts back what the ledger holds by then.
   */
  private async settleRemoval(addresses: readonly string[], provenance: SuppressionProvenance): Promise<{ putBack: number; notPutBack: Array<{ entry: SuppressionEntry; why: string }> }> {
    if (addresses.length === 0) return { putBack: 0, notPutBack: [] };
    const at = this.clock();
    await this.options.announcements.announceRemoval(addresses, provenance, at);
    const wanted = await this.options.ledger.finishRemoval(addresses, provenance, at);
    const refused = await this.putBacks.putOrRefuse(wanted, 1);
    // Those put back are looked at again already.
    const putBack = new Set(wanted.map((e) => e.address));
    const unlooked = addresses.filter((a) => !putBack.has(a));
    if (unlooked.length > 0) await this.options.queue.unsuppress(unlooked, 1, this.options.lookAgainAfterSeconds);
    return { putBack: wanted.length - refused.length, notPutBack: refused.map(asRefusedPutBack) };
  }
}

/** An address SES refused to put back, as an entry to surface. */
function asRefusedPutBack({ address, why }: { readonly address: string; readonly why: string }): { entry: SuppressionEntry; why: string } {
  return { entry: { address, reason: 'BOUNCE' }, why };
}

/** A row of a put-back job as the put-back it settles. */
function asPutBack(row: { readonly entry: SuppressionEntry; readonly putBack?: PutBackTerms }): PutBack {
  return { address: row.entry.address, reason: row.entry.reason, ...row.putBack };
}
