import type { SuppressionReason } from './classify.js';
import type { FeedbackRecord } from './feedback-record.js';
import type { DeliveryOutcome, SoftBounceOutcome, SoftBouncePolicy } from './soft-bounce-policy.js';
import type { ImportAction, ImportJobRef, ImportRow, LedgerEntry, PutBackTerms, SuppressionEntry } from './suppression.js';

/**
 * The audit trail and per-address state.
 *
 * Every method is idempotent: a retry after a crash at any point redoes only what is missing.
 */
export interface FeedbackStore {
  /** Writes the record unless this event is already recorded for this address. */
  putEvent(record: FeedbackRecord): Promise<'new' | 'duplicate'>;
  /** Adds a soft bounce (once per event key) and returns the address's history after it. */
  addSoftBounce(address: string, eventKey: string, at: string, policy: SoftBouncePolicy): Promise<SoftBounceOutcome>;
  /**
   * Notes a delivery, which cancels earlier soft bounces; says whether that withdraws the
   * address's escalation. The history keeps whether it stands escalated, for the writer to read.
   */
  addDelivery(address: string, at: string, policy: SoftBouncePolicy): Promise<Pick<DeliveryOutcome, 'withdraw'>>;
}

/**
 * Whether soft bounces still ask for an address's temporary suppression, as the feedback processor
 * last left its history. The writer reads it before it puts or withdraws one, so two hand-overs that
 * cross on the way (SQS keeps no order) end as the history says, not as the later one to arrive.
 */
export interface SoftBounceEscalations {
  /** Those of these addresses whose history stands escalated. */
  escalated(addresses: readonly string[]): Promise<ReadonlySet<string>>;
}

/** How an address got on the list (or off it), for the audit trail. */
export interface SuppressionProvenance {
  readonly via: 'put' | 'import' | 'operator-import' | 'expiry' | 'withdrawal';
  readonly jobId?: string;
}

/** An address SES accepted onto the list: `until` when it leaves the list by itself (ISO 8601). */
export interface AcceptedSuppression extends SuppressionEntry {
  readonly until?: string;
}

/** A temporary suppression whose end has come: the writer's to take off the list. */
export interface DueExpiry {
  readonly address: string;
  readonly until: string;
}

/**
 * An address to put (back) on the list. `until` names the temporary suppression, or the removal of
 * it, that this settles: the ledger then keeps the address for good. Without it (a restore) the
 * ledger already holds the address as it should be, and only SES is told again, if it lost the
 * address (for a removal that crossed it) or holds a weaker reason.
 */
export interface PutBack extends PutBackTerms {
  readonly address: string;
  readonly reason: SuppressionReason;
}

/** What a claim on the due suppressions found. */
export interface ClaimedExpiries {
  /** Claimed now, for one lease. */
  readonly claimed: readonly DueExpiry[];
  /** Claimed too often without being settled: not claimed again; the writer parks them for a human. */
  readonly exhausted: readonly DueExpiry[];
}

/**
 * What the pipeline knows is on the SES suppression list: lets the writer skip calls that would
 * change nothing, and keeps when each temporary suppression ends. A cache of SES's list, kept by
 * the writer and the operator commands.
 *
 * Ending a temporary suppression is a protocol, because SES's removal (a DELETE import job may run
 * for minutes) can cross a hard bounce or complaint that arrives meanwhile, and a writer can die at
 * any step: the ledger entry is marked `removing` before SES is asked; a writer that wants the
 * address kept meanwhile marks it `wantedBack` instead of racing SES; the remover, once SES is
 * done, deletes the entry only if nobody wants it back, else puts the address back on the list.
 * An entry written over meanwhile (an operator's import, another remover's put-back) is put back
 * too, by this remover or, if it died, by the retry of its message. The marks are durable, so a
 * retry (or the next claim) finishes what a dead writer started.
 */
export interface SuppressionLedger {
  /** What is recorded of each of these addresses that is on the list (absent: not known to be). */
  suppressions(addresses: readonly string[], consistent?: boolean): Promise<Map<string, LedgerEntry>>;
  /**
   * Records that SES accepted these addresses. An entry with `until` is scheduled to end then; it
   * never replaces an entry that is there already (a permanent one must stay permanent). A
   * permanent BOUNCE the pipeline decided never replaces a COMPLAINT or a removal's wish to keep
   * the address as one, checked in the same write. Those addresses, and those of temporary entries
   * that found a complaint recorded, are returned, for the caller to restore as COMPLAINT at SES
   * (its BOUNCE may have landed after the complaint). An operator's import records what the
   * operator put.
   */
  recordSuppressed(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance, at: Date): Promise<string[]>;
  /**
   * Makes a temporary suppression permanent (the address hard bounced or complained since), unless
   * its removal has begun.
   * @returns `done` (or it was permanent already), `removing`, or `absent`
   */
  makePermanent(address: string, at: Date): Promise<'done' | 'removing' | 'absent'>;
  /**
   * Marks an address whose removal has begun as wanted back, for good or (with `until`) for a
   * while. A wish only grows: for a while < a bounce < a complaint.
   * @returns false when no removal is under way (any more)
   */
  wantBack(address: string, reason: SuppressionReason, until?: string): Promise<boolean>;
  /**
   * Claims up to `limit` temporary suppressions due at `now` for `leaseSeconds`: a claim that is
   * not settled by then (a lost message) comes due again, at most `maxClaims` times.
   */
  claimDueExpiries(now: Date, limit: number, leaseSeconds: number, maxClaims: number): Promise<ClaimedExpiries>;
  /** Forgets schedule entries (stale ones, or those given up on). */
  dropExpiries(expiries: readonly DueExpiry[]): Promise<void>;
  /** Marks these temporary suppressions `removing`, before SES is asked. @returns the addresses marked (the others changed meanwhile) */
  startRemoval(expiries: readonly DueExpiry[]): Promise<string[]>;
  /**
   * After SES took these addresses off the list: records it (audit record, ledger entry and schedule
   * entry go, at once) for each still being removed that nobody wants back.
   * @returns the others the ledger holds, to put back: wanted back (still `removing`), or written
   *   over meanwhile (SES's removal may have undone that write)
   */
  finishRemoval(addresses: readonly string[], provenance: SuppressionProvenance, at: Date): Promise<PutBack[]>;
  /**
   * After SES put these addresses back: each whose temporary suppression (or its removal) is still
   * the one named stays, for good or until its `keepUntil` (the marks and the old schedule entry
   * go), unless a stronger wish came meanwhile (a complaint while a bounce was put back).
   * @returns those to put back again, with the stronger reason
   */
  completePutBack(entries: readonly PutBack[], at: Date): Promise<PutBack[]>;
}

/**
 * Tells the user's own systems of every change SES accepted to the suppression list, so they can
 * drop addresses from their mailing lists and take them back. At least once per address: called
 * before the ledger records them, so a crash in between announces them again rather than never.
 */
export interface SuppressionAnnouncements {
  /** "Address Suppressed" */
  announce(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance, at: Date): Promise<void>;
  /** "Address Unsuppressed": a temporary suppression ended. */
  announceRemoval(addresses: readonly string[], provenance: SuppressionProvenance, at: Date): Promise<void>;
}

/** The SES account-level suppression list, one address at a time. */
export interface SuppressionList {
  /** @throws SuppressionRejectedError when SES refuses the address for good */
  suppress(address: string, reason: SuppressionReason): Promise<void>;
  /** Takes the address off the list; an address that is not on it is already where it should be. */
  unsuppress(address: string): Promise<void>;
  /** Why the address is on the list, or undefined when it is not. */
  reasonOf(address: string): Promise<SuppressionReason | undefined>;
}

/** What SES says of an import job. */
export type ImportJobStatus =
  | { readonly state: 'running'; readonly processed?: number }
  | {
      readonly state: 'completed';
      /** How many rows SES counted as failed. */
      readonly failedCount: number;
      /** The text of SES's failed-records file ('' when no row failed); its layout is not documented. */
      readonly failedRecords: string;
      readonly errorMessage?: string;
    }
  | { readonly state: 'failed'; readonly errorMessage: string };

/** What is recorded beside a prepared import job's rows: the job SES created, that SES answered without creating it, or nothing yet. */
export type RecordedJob = { readonly jobId: string } | 'not-created' | undefined;

/** SES suppression-list import jobs and the files they read. */
export interface SuppressionImports {
  /**
   * Writes the rows where SES can read them (and, for PUT rows that are temporary, which ones they
   * are; for a put-back, what each row settles), with a record of the job that is still to be
   * created: no job yet.
   * @param putBack a put-back job: what each row settles, in row order
   * @returns the job to be, with an empty `jobId`, its `action` when DELETE, `temporary` when some
   *   rows are, and `putBack`
   */
  prepare(rows: readonly SuppressionEntry[], action: ImportAction, putBack?: readonly PutBackTerms[]): Promise<ImportJobRef>;
  /**
   * Starts the import job on prepared rows, and records its id beside them (or that SES answered
   * without creating it: refused, or throttled).
   * @returns the job's id
   * @throws SuppressionRejectedError when SES refuses the job for good
   */
  create(job: ImportJobRef): Promise<string>;
  /** What is recorded beside a prepared job's rows: its id, `not-created`, or undefined while none is recorded yet. */
  recordedJob(job: ImportJobRef): Promise<RecordedJob>;
  status(jobId: string): Promise<ImportJobStatus>;
  /** The rows of a job this pipeline started, each with the raw line SES read (and, for a put-back, what it settles). */
  rows(job: ImportJobRef): Promise<ImportRow[]>;
}

/** The writer's own queue: where it schedules its next look at a job, and retries rows. */
export interface SuppressionQueue {
  followImport(job: ImportJobRef, attempt: number, polls: number, delaySeconds: number): Promise<void>;
  retry(entries: readonly SuppressionEntry[], attempt: number): Promise<void>;
  /** Hands over addresses whose temporary suppression is due to end (from the expiry tick, or to retry), now or after a delay. */
  unsuppress(addresses: readonly string[], attempt: number, delaySeconds?: number): Promise<void>;
  /** Hands over temporary suppressions whose escalation a delivery withdrew while they were being written. */
  withdraw(addresses: readonly string[]): Promise<void>;
}

/** Where the feedback processor hands over addresses to suppress. */
export interface SuppressionRequests {
  request(entries: readonly SuppressionEntry[]): Promise<void>;
  /** Addresses whose escalation a late delivery withdrew: their temporary suppression is to end now. */
  withdraw(addresses: readonly string[]): Promise<void>;
}

/** Where records go that no retry can fix, with the reason next to them. */
export interface DeadLetters {
  /** @param reason one line, addresses masked: what a human reads to fix it */
  park(body: string, reason: string, sourceMessageId: string): Promise<void>;
}
