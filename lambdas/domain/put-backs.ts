import { SuppressionRejectedError } from './errors.js';
import type { PutBack, SuppressionAnnouncements, SuppressionLedger, SuppressionList, SuppressionProvenance, SuppressionQueue } from './ports.js';
import { removalEntry, strongerReason, type LedgerEntry, type PutBackTerms, type SuppressionEntry } from './suppression.js';

/** Parallel ledger calls when many removals are undone at once (up to a DELETE job's 10,000). */
const LEDGER_LANES = 8;

export interface PutBacksOptions {
  readonly ledger: SuppressionLedger;
  readonly list: SuppressionList;
  readonly queue: SuppressionQueue;
  readonly announcements: SuppressionAnnouncements;
  /** At or above this many addresses, one PUT import job replaces the single calls. */
  readonly importThreshold: number;
  /** How long a claim on a due suppression holds: a put-back for a while lasts at least this long. */
  readonly expiryLeaseSeconds: number;
  /** When to look again at addresses put back one by one: longer than one run of the writer. */
  readonly lookAgainAfterSeconds: number;
  /** Looks at a restore that had to put, at most. */
  readonly maxAttempts: number;
  readonly clock: () => Date;
  /**
   * Starts PUT import jobs of these rows, with what each settles, each followed through the queue.
   * @returns the rows SES refused for good, with why
   */
  readonly startJobs: (rows: readonly SuppressionEntry[], attempt: number, terms: readonly PutBackTerms[]) => Promise<ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>>;
}

/**
 * The back half of the removal protocol: puts addresses back on the list (a removal wanted back,
 * written over, or undone; or a restore of what the ledger holds) and settles them in the ledger,
 * at any number within SES's rate and one run of the writer.
 */
export class PutBacks {
  public constructor(private readonly options: PutBacksOptions) {}

  /**
   * A removal that cannot go on (SES refused it for good, its attempts are spent, or it was claimed
   * too often): the ledger is told first that the address stays for good (wanted back for good
   * while it is being removed, else made permanent), so that whatever comes next (a put-back job
   * that outlasts this run, a redrive, the removal's own late end) puts it back rather than end
   * it; then it is put back on the list (SES may have removed it: the safe side), and surfaced.
   */
  public async undo(removals: ReadonlyArray<{ readonly address: string; readonly until?: string }>, why: string): Promise<Array<{ entry: SuppressionEntry; why: string }>> {
    if (removals.length === 0) return [];
    const known = await this.options.ledger.suppressions(removals.map((r) => r.address), true);
    const kept = new Map<string, PutBack>();
    await inLanes(removals, LEDGER_LANES, async ({ address, until }) => {
      const putBack = await this.keepForGood(address, until, known.get(address));
      if (putBack !== undefined) kept.set(address, putBack);
    });
    // The ledger keeps them now: a refusal from SES must not fail the caller (the hourly tick would
    // stop); the surfaced message's redrive puts back what the ledger holds.
    const refused = await this.putOrRefuse([...kept.values()], 1);
    const putBackFailed = new Map(refused.map((r) => [r.address, r.why]));
    return removals.map(({ address }) => {
      const failed = putBackFailed.get(address);
      const outcome = !kept.has(address)
        ? 'the ledger no longer holds this suppression (taken off, or a newer one): nothing to undo'
        : failed === undefined
          ? 'it stays on the list'
          : `it stays on the list, but SES refused to put it back (${failed}): a redrive puts it back`;
      return { entry: removalEntry(address), why: `${why}; ${outcome}` };
    });
  }

  /**
   * Makes the ledger keep for good an address whose removal is undone.
   * @param named the temporary suppression being undone: a newer one is left to end in its time
   * @returns what to put back, or nothing (the ledger no longer holds it, or holds a newer one)
   */
  private async keepForGood(address: string, named: string | undefined, first: LedgerEntry | undefined): Promise<PutBack | undefined> {
    const { ledger } = this.options;
    let current = first;
    // An entry only moves on (temporary → removing → gone), so each change is followed by at most two more tries.
    for (let round = 0; round < 3; round++) {
      if (current === undefined) return undefined;
      const until = current.temporaryUntil;
      if (named !== undefined && until !== undefined && until !== named) return undefined;
      if (current.removing) {
        // Its removal is put back by whoever finishes first: this undo, a redrive, or the removal's own end.
        if (current.wantedBack !== undefined && current.wantedUntil === undefined) return { address, reason: current.wantedBack, ...(until !== undefined ? { until } : {}) };
        await ledger.wantBack(address, current.wantedBack ?? current.reason);
      } else if (until !== undefined) {
        // No removal began: SES was not asked to take it off; it is only told again if it lost it.
        const outcome = await ledger.makePermanent(address, this.options.clock());
        if (outcome === 'absent') return undefined;
        if (outcome === 'done') return { address, reason: current.reason };
      } else {
        return { address, reason: current.reason };
      }
      current = (await ledger.suppressions([address], true)).get(address);
    }
    throw new Error('a ledger entry changed three times while its removal was undone; retry later');
  }

  /**
   * Puts addresses back on the list and settles them in the ledger: kept for good, or for the
   * period soft bounces asked for again (at least a lease from now: a period that ran out while the
   * removal ran would otherwise be due, and claimed, before the ledger says so). A complaint that
   * came while a bounce was put back is put back again with its reason: a wish only ever grows, so
   * three rounds settle it.
   *
   * A few go by one SES call each; at the import threshold, by a PUT import job that carries what
   * each row settles and is settled when its follow-up finds it done, so a put-back of any size
   * ends within SES's rate and a run of the writer. A restore (no `until`: the ledger holds the
   * address as it should be) asks SES first, and is put only when SES lost the address or holds a
   * weaker reason: it never weakens a reason SES holds, such as a complaint another writer put
   * meanwhile. A restore by import job cannot ask first: it puts the ledger's reason.
   * @returns how many addresses were put back
   */
  public async put(entries: readonly PutBack[], attempt = 1): Promise<number> {
    const refused = await this.putOrRefuse(entries, attempt);
    // Retried with the message (and parked with this reason once its receives are spent): the ledger still says what to put back.
    if (refused.length > 0) throw new Error(`SES refused to put back ${refused.length} address(es): ${refused[0]?.why ?? ''}`);
    return entries.length;
  }

  /**
   * {@link put}, which goes on past what SES refuses for good: the ledger still holds those, so
   * they are surfaced (and their redrive puts them back) rather than failing the others.
   * @returns what SES refused, with why
   */
  public async putOrRefuse(entries: readonly PutBack[], attempt: number): Promise<Array<{ address: string; why: string }>> {
    const earliestEnd = new Date(this.options.clock().getTime() + this.options.expiryLeaseSeconds * 1000).toISOString();
    let pending = entries.map((e) => (e.until !== undefined && e.keepUntil !== undefined && e.keepUntil < earliestEnd ? { ...e, keepUntil: earliestEnd } : e));
    const settled: PutBack[] = [];
    const refused: Array<{ address: string; why: string }> = [];
    for (let round = 0; pending.length > 0; round++) {
      if (round === 3) throw new Error('the reason to put an address back kept changing; retry later');
      // A restore asks SES first: two calls. A job costs at least two (its start and a look), so one address never goes as a job.
      const calls = pending.reduce((n, e) => n + (e.until === undefined ? 2 : 1), 0);
      if (pending.length > 1 && calls >= this.options.importThreshold) {
        const rejected = await this.options.startJobs(pending.map(({ address, reason }) => ({ address, reason })), attempt, pending);
        refused.push(...rejected.map(({ entry, why }) => ({ address: entry.address, why })));
        break;
      }
      const put: PutBack[] = [];
      for (const entry of pending) {
        try {
          if (await this.putOnList(entry)) put.push(entry);
        } catch (error) {
          if (!(error instanceof SuppressionRejectedError)) throw error;
          refused.push({ address: entry.address, why: error.message });
        }
      }
      settled.push(...put);
      pending = await this.completePutBacks(put, { via: 'put' });
    }
    await this.lookAgain(settled, attempt);
    return refused;
  }

  /** One SES call (two for a restore, which asks first). @returns whether SES was told */
  private async putOnList(entry: PutBack): Promise<boolean> {
    const { list } = this.options;
    if (entry.until === undefined) {
      const listed = await list.reasonOf(entry.address);
      if (listed !== undefined && strongerReason(listed, entry.reason) === listed) return false;
    }
    await list.suppress(entry.address, entry.reason);
    return true;
  }

  /** Announces addresses SES put back, then settles them in the ledger. @returns those wanted back with a stronger reason meanwhile */
  private async completePutBacks(put: readonly PutBack[], provenance: SuppressionProvenance): Promise<PutBack[]> {
    if (put.length === 0) return [];
    const at = this.options.clock();
    await this.options.announcements.announce(put.map(({ address, reason, keepUntil }) => ({ address, reason, ...(keepUntil !== undefined ? { until: keepUntil } : {}) })), provenance, at);
    return this.options.ledger.completePutBack(put, at);
  }

  /**
   * A look after the longest run of the writer at addresses put back one by one, which puts back
   * what the ledger holds and SES does not, or holds with a weaker reason. Another delivery of the
   * same removal message may still be running, and take the address off after its put-back; its
   * death would leave it off with no message left to repair it. And a restore can cross another
   * writer's complaint (SES lost the address, both put it, the restore's BOUNCE last): the look
   * puts the complaint the ledger has by then. It looks once more only if it had to put again (at
   * most `maxAttempts` looks), so the looks end as soon as SES agrees with the ledger.
   * @param attempt the look (or the message) that put these back
   */
  private async lookAgain(settled: readonly PutBack[], attempt: number): Promise<void> {
    const { queue, lookAgainAfterSeconds, maxAttempts } = this.options;
    const removals = [...new Set(settled.filter((e) => e.until !== undefined).map((e) => e.address))];
    const restores = [...new Set(settled.filter((e) => e.until === undefined).map((e) => e.address))];
    if (removals.length > 0) await queue.unsuppress(removals, 1, lookAgainAfterSeconds);
    if (restores.length > 0 && attempt < maxAttempts) await queue.unsuppress(restores, attempt + 1, lookAgainAfterSeconds);
  }

  /**
   * Settles the rows SES put back in a put-back job: announced, settled in the ledger, a stronger
   * wish that came meanwhile put back again; those that settle a removal are looked at again. Its
   * restores could not ask SES first: each whose ledger entry now has a stronger reason (a complaint
   * written while the job ran, which the job's BOUNCE may have overwritten at SES) is restored
   * again, asking first. Reasons only grow, so this ends.
   */
  public async settleJob(put: readonly PutBack[], provenance: SuppressionProvenance, attempt: number): Promise<void> {
    await this.put(await this.completePutBacks(put, provenance), attempt);
    await this.lookAgain(put.filter((e) => e.until !== undefined), attempt);
    const restores = put.filter((e) => e.until === undefined);
    if (restores.length === 0) return;
    const now = await this.options.ledger.suppressions(restores.map((e) => e.address), true);
    const stronger = restores.flatMap(({ address, reason }) => {
      const held = now.get(address)?.reason;
      return held !== undefined && held !== reason && strongerReason(held, reason) === held ? [{ address, reason: held }] : [];
    });
    await this.put(stronger, attempt);
  }
}

/**
 * Before anyone else (an operator's import) puts these addresses on the list and writes them over
 * in the ledger: each temporary suppression among them is made permanent, and each being removed is
 * marked wanted back, so that a removal crossing that import puts the address back rather than
 * leave it off the list with the ledger saying it is on.
 */
export async function holdAgainstRemoval(ledger: SuppressionLedger, entries: readonly SuppressionEntry[], at: Date): Promise<void> {
  const known = await ledger.suppressions(entries.map((e) => e.address), true);
  for (const { address, reason } of entries) {
    const entry = known.get(address);
    if (entry === undefined || (entry.temporaryUntil === undefined && !entry.removing)) continue;
    if (entry.removing || (await ledger.makePermanent(address, at)) === 'removing') await ledger.wantBack(address, reason);
  }
}

/** Runs `work` on each item, `lanes` at a time. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}
