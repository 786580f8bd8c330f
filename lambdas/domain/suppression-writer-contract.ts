import type { SoftBounceEscalations, SuppressionAnnouncements, SuppressionImports, SuppressionLedger, SuppressionList, SuppressionQueue } from './ports.js';
import type { ImportAction, ImportJobRef, SuppressionEntry } from './suppression.js';

/* What the suppression writer is given and what each of its calls did: its contract with the handler that drives it. */

export interface SuppressionWriterOptions {
  readonly ledger: SuppressionLedger;
  readonly list: SuppressionList;
  readonly imports: SuppressionImports;
  readonly queue: SuppressionQueue;
  /**
   * Whether soft bounces still ask for an address's temporary suppression: read before one is put
   * or withdrawn, so crossing hand-overs end as the address's history says.
   */
  readonly escalations: SoftBounceEscalations;
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
  /** Claims of one due suppression before it is given up on: kept on the list, parked for a human. */
  readonly maxExpiryClaims: number;
  /** When to look again at addresses put back during a removal: longer than one run of the writer. */
  readonly lookAgainAfterSeconds: number;
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
  /** Temporary suppressions made permanent (a hard bounce or complaint since), or wanted back from a removal under way: ledger only. */
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
  /** Not on the list (any more), or not due yet and already on it: left alone. */
  readonly skipped: number;
  /**
   * Put (back) on the list: wanted back while being removed (a hard bounce or complaint came), or
   * written over meanwhile, which SES's removal (this message's, or an earlier delivery's) may
   * have undone.
   */
  readonly putBack: number;
  readonly rejected: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>;
  /** To be put back, but SES refused for good: the ledger still holds them; surfaced, a redrive puts them back. */
  readonly notPutBack: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>;
  readonly retryLater: readonly SuppressionEntry[];
}

/** What one hourly tick found. */
export interface ExpireOutcome {
  /** Temporary suppressions due, handed over for removal. */
  readonly due: number;
  /** Schedule entries that no longer matched the ledger (made permanent, or removed by an operator): dropped. */
  readonly stale: number;
  /** Claimed too often without being settled: kept on the list, surfaced for a human. */
  readonly rejected: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>;
}

/** What one look at an import job found. */
export type FollowOutcome =
  /** SES did not create the job (refused or throttled it): the message that prepared it surfaced or retried its rows. */
  | { readonly state: 'not-created'; readonly action: ImportAction }
  /**
   * No job id was ever recorded beside its rows: the writer that prepared it died (or S3 refused)
   * between creating it and recording it, or before creating it. A job SES may be running is not
   * followed: a human should look (its rows were retried by the message that prepared it).
   */
  | { readonly state: 'unrecorded'; readonly action: ImportAction }
  | {
      readonly state: 'running';
      /** SES's id of the job; empty while none is recorded beside its rows yet. */
      readonly jobId: string;
      readonly nextLookInSeconds: number;
      /** A DELETE job still running after `maxLooks` looks, this once: it is still followed; a human should hear of it. */
      readonly overdue?: boolean;
    }
  | {
      /** `unknown`: SES's answer could not be matched to the rows, or the job never ended: nothing was taken as suppressed. */
      readonly state: 'completed' | 'failed' | 'unknown';
      /** SES's id of the job (the message of a job about to be created carries none: it is read beside its rows). */
      readonly jobId: string;
      readonly action: ImportAction;
      /** A PUT job that put addresses back: its rejected rows are ledger state to restore, not new suppressions. */
      readonly putBack?: true;
      /** Rows settled: put on the list (PUT) or taken off it (DELETE). */
      readonly suppressed: number;
      /** Rows queued again (a failed job, or failed rows with attempts left). */
      readonly retried: number;
      readonly rejected: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>;
      /** Of a DELETE job: to be put back, but SES refused for good (see {@link RemoveOutcome.notPutBack}). */
      readonly notPutBack?: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>;
    };
