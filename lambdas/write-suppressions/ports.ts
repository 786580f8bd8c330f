import type { ImportJobRef, SuppressionEntry, SuppressionReason } from '../shared/suppression.js';
import type { ImportRow } from './import-files.js';

/** What the ledger knows of an address on the list. */
export interface LedgerEntry {
  readonly reason: SuppressionReason;
  /** When a temporary suppression ends (ISO 8601); absent: permanent. */
  readonly temporaryUntil?: string;
  /** Its removal has begun (SES may have taken it off already): a run died between the two. */
  readonly removing?: true;
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
  readonly via: 'put' | 'import' | 'operator-import' | 'operator-removal' | 'expiry' | 'withdrawal';
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
 * What the pipeline knows is on the SES suppression list: lets the writer skip calls that would
 * change nothing, and keeps when each temporary suppression ends. A cache of SES's list, written
 * by the writer alone, one run at a time.
 *
 * A removal marks its entry `removing` before SES is asked and ends it once SES is done: a run
 * that dies in between leaves the mark, so the next hard bounce or complaint for the address puts
 * it at SES again (SES may have taken it off), and the next tick finishes the removal.
 */
export interface SuppressionLedger {
  /** What is recorded of each of these addresses that is on the list (absent: not known to be). */
  suppressions(addresses: readonly string[], consistent?: boolean): Promise<Map<string, LedgerEntry>>;
  /**
   * Records that SES accepted these addresses. An entry with `until` is scheduled to end then; it
   * replaces only an entry being removed (a permanent one must stay permanent). A permanent BOUNCE
   * never replaces a COMPLAINT, checked in the same write: an import job's BOUNCE can end after a
   * complaint was recorded meanwhile. Those addresses, and those of temporary entries that found a
   * complaint, are returned, for the caller to restore as COMPLAINT at SES.
   */
  recordSuppressed(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance, at: Date): Promise<string[]>;
  /** Keeps an address on the list for good: no longer temporary, nor being removed. */
  makePermanent(address: string, at: Date): Promise<void>;
  /** Up to `limit` temporary suppressions due at `now`, the earliest first. */
  dueExpiries(now: Date, limit: number): Promise<DueExpiry[]>;
  /** Forgets schedule entries the ledger no longer backs. */
  dropExpiries(expiries: readonly DueExpiry[]): Promise<void>;
  /** Marks this temporary suppression `removing`, before SES is asked. */
  startRemoval(expiry: DueExpiry): Promise<void>;
  /** After SES took these addresses off the list: the audit record, the ledger entry and the schedule entry go, at once. */
  finishRemoval(expiries: readonly DueExpiry[], provenance: SuppressionProvenance, at: Date): Promise<void>;
}

/**
 * One writer run at a time: a lease on the table, taken by a conditional write and held longer
 * than the function's timeout plus a margin, so a run that dies holding it has surely ended when
 * it lapses.
 */
export interface WriterLease {
  /** @returns whether `holder` holds the lease now (it was free, lapsed, or already its own) */
  acquire(holder: string): Promise<boolean>;
  /** Gives the lease up, if `holder` still holds it. */
  release(holder: string): Promise<void>;
}

/** What the writer did with an operator's requests (`suppression import`, `remove`), for the CLI that waits for it. */
export interface OperatorRequests {
  /**
   * Records the outcome under `request`; when SES took the address off or did not hold it, forgets
   * it in the ledger and records the removal in the audit trail. `note`: the operator's, or SES's
   * reason for refusing.
   */
  settleRemoval(address: string, outcome: 'removed' | 'not-listed' | 'refused', request: string, note: string | undefined, at: Date): Promise<void>;
  /** Records that SES refused these rows of an operator's import `request`, with why. */
  refused(rejections: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>, request: string, at: Date): Promise<void>;
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
  /**
   * Takes the address off the list.
   * @returns `not-listed` when it was not on it (already where it should be)
   */
  unsuppress(address: string): Promise<'removed' | 'not-listed'>;
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

/** SES suppression-list import jobs (PUT) and the files they read. */
export interface SuppressionImports {
  /**
   * Writes the rows where SES can read them (and which are temporary), with a record of the job
   * that is still to be created: no job yet.
   * @returns the job to be, with an empty `jobId`, and `temporary` when some rows are
   */
  prepare(rows: readonly SuppressionEntry[]): Promise<ImportJobRef>;
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
  /** The rows of a job this pipeline started, each with the raw line SES read. */
  rows(job: ImportJobRef): Promise<ImportRow[]>;
}
