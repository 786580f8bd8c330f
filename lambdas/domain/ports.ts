import type { SuppressionReason } from './classify.js';
import type { FeedbackRecord } from './feedback-record.js';
import type { SoftBounceOutcome, SoftBouncePolicy } from './soft-bounce-policy.js';
import type { ImportAction, ImportJobRef, ImportRow, LedgerEntry, SuppressionEntry } from './suppression.js';

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
  /** Notes a delivery, which cancels earlier soft bounces. */
  addDelivery(address: string, at: string): Promise<void>;
}

/** How an address got on the list (or off it), for the audit trail. */
export interface SuppressionProvenance {
  readonly via: 'put' | 'import' | 'operator-import' | 'expiry';
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
 * change nothing, and keeps when each temporary suppression ends. A cache of SES's list, kept by
 * the writer and the operator commands.
 */
export interface SuppressionLedger {
  /** What is recorded of each of these addresses that is on the list (absent: not known to be). */
  suppressions(addresses: readonly string[]): Promise<Map<string, LedgerEntry>>;
  /** Records that SES accepted these addresses; an entry with `until` is scheduled to end then. */
  recordSuppressed(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance, at: Date): Promise<void>;
  /** A temporary suppression stays for good (the address hard bounced or complained since): no SES call needed. */
  makePermanent(addresses: readonly string[], at: Date): Promise<void>;
  /**
   * Claims up to `limit` temporary suppressions due at `now` for `leaseSeconds`: a claim that is
   * not settled by then (a lost message) comes due again.
   */
  claimDueExpiries(now: Date, limit: number, leaseSeconds: number): Promise<DueExpiry[]>;
  /** Forgets schedule entries that no longer match the ledger (the address became permanent or left the list). */
  dropExpiries(expiries: readonly DueExpiry[]): Promise<void>;
  /**
   * Records that SES took these temporary suppressions off the list (audit trail, ledger, schedule).
   * @returns the addresses that became permanent while the removal ran, with their reason: the
   *   caller puts them back, and the ledger keeps them
   */
  recordUnsuppressed(addresses: readonly string[], provenance: SuppressionProvenance, at: Date): Promise<Map<string, SuppressionReason>>;
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

/** SES suppression-list import jobs and the files they read. */
export interface SuppressionImports {
  /**
   * Writes the rows where SES can read them (and, for PUT rows that are temporary, which ones they
   * are) and starts an import job on them.
   * @returns the job, with its `action` when DELETE and `temporary` when some rows are
   */
  start(rows: readonly SuppressionEntry[], action: ImportAction): Promise<ImportJobRef>;
  status(jobId: string): Promise<ImportJobStatus>;
  /** The rows of a job this pipeline started, each with the raw line SES read. */
  rows(job: ImportJobRef): Promise<ImportRow[]>;
}

/** The writer's own queue: where it schedules its next look at a job, and retries rows. */
export interface SuppressionQueue {
  followImport(job: ImportJobRef, attempt: number, polls: number, delaySeconds: number): Promise<void>;
  retry(entries: readonly SuppressionEntry[], attempt: number): Promise<void>;
  /** Hands over addresses whose temporary suppression is due to end (from the expiry tick, or to retry). */
  unsuppress(addresses: readonly string[], attempt: number): Promise<void>;
}

/** Where the feedback processor hands over addresses to suppress. */
export interface SuppressionRequests {
  request(entries: readonly SuppressionEntry[]): Promise<void>;
}

/** Where records go that no retry can fix, with the reason next to them. */
export interface DeadLetters {
  /** @param reason one line, addresses masked: what a human reads to fix it */
  park(body: string, reason: string, sourceMessageId: string): Promise<void>;
}
