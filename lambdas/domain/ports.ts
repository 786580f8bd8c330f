import type { SuppressionReason } from './classify.js';
import type { FeedbackRecord } from './feedback-record.js';
import type { SoftBounceOutcome, SoftBouncePolicy } from './soft-bounce-policy.js';
import type { ImportJobRef, ImportRow, SuppressionEntry } from './suppression.js';

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

/** How an address got on the list, for the audit trail. */
export interface SuppressionProvenance {
  readonly via: 'put' | 'import' | 'operator-import';
  readonly jobId?: string;
}

/**
 * What the pipeline knows is on the SES suppression list: lets the writer skip calls that would
 * change nothing. A cache of SES's list, kept by the writer and the operator commands.
 */
export interface SuppressionLedger {
  /** The recorded reason of each of these addresses that is on the list (absent: not known to be). */
  suppressedReasons(addresses: readonly string[]): Promise<Map<string, SuppressionReason>>;
  /** Records that SES accepted these addresses. */
  recordSuppressed(entries: readonly SuppressionEntry[], provenance: SuppressionProvenance, at: Date): Promise<void>;
}

/**
 * Tells the user's own systems that SES accepted addresses onto the suppression list, so they can
 * drop them from their mailing lists. At least once per address: called before the ledger records
 * them, so a crash in between announces them again rather than never.
 */
export interface SuppressionAnnouncements {
  announce(entries: readonly SuppressionEntry[], provenance: SuppressionProvenance, at: Date): Promise<void>;
}

/** The SES account-level suppression list, one address at a time. */
export interface SuppressionList {
  /** @throws SuppressionRejectedError when SES refuses the address for good */
  suppress(address: string, reason: SuppressionReason): Promise<void>;
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
  /** Writes the rows where SES can read them and starts a PUT import job on them. */
  start(rows: readonly SuppressionEntry[]): Promise<ImportJobRef>;
  status(jobId: string): Promise<ImportJobStatus>;
  /** The rows of a job this pipeline started, each with the raw line SES read. */
  rows(objectKey: string): Promise<ImportRow[]>;
}

/** The writer's own queue: where it schedules its next look at a job, and retries rows. */
export interface SuppressionQueue {
  followImport(job: ImportJobRef, attempt: number, polls: number, delaySeconds: number): Promise<void>;
  retry(entries: readonly SuppressionEntry[], attempt: number): Promise<void>;
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
