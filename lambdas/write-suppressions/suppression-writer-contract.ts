import type { OperatorRequests, SoftBounceEscalations, SuppressionAnnouncements, SuppressionImports, SuppressionLedger, SuppressionList } from './ports.js';
import type { SuppressionQueue } from '../shared/ports.js';
import type { ImportJobRef, SuppressionEntry } from '../shared/suppression.js';

/* What the suppression writer is given and what each of its calls did: its contract with the handler that drives it. */

/** Milliseconds left in this run (Lambda's `context.getRemainingTimeInMillis`). */
export type TimeLeft = () => number;

export interface SuppressionWriterOptions {
  readonly ledger: SuppressionLedger;
  readonly list: SuppressionList;
  readonly imports: SuppressionImports;
  readonly queue: SuppressionQueue;
  /** Whether soft bounces still ask for an address's temporary suppression: read before one is put or withdrawn. */
  readonly escalations: SoftBounceEscalations;
  /** Told of every change SES accepted ("Address Suppressed", "Address Unsuppressed" events). */
  readonly announcements: SuppressionAnnouncements;
  /** Where the outcome of an operator's request goes, for the CLI that waits for it. */
  readonly operatorRequests: OperatorRequests;
  /**
   * At or above this many addresses still to suppress, one import job replaces the single calls.
   * A job costs one CreateImportJob plus the GetImportJob looks that follow it (3-5 for a job of a
   * minute or two), so below about this many, single calls are fewer and faster.
   */
  readonly importThreshold: number;
  /** SES takes at most 100,000 addresses per import object. */
  readonly maxRowsPerImport: number;
  /** How long a temporary suppression (soft bounces escalated) stays on the list; 0 keeps it for good. */
  readonly temporaryForSeconds: number;
  /** Temporary suppressions one tick takes off the list at most: the rest of SES's rate stays free for new ones. */
  readonly removalsPerTick: number;
  /** Attempts per address before it is surfaced as rejected (failed import rows are retried). */
  readonly maxAttempts: number;
  /** Looks at one import job before the writer stops waiting for it and treats its outcome as unknown. */
  readonly maxLooks: number;
  readonly followDelay: { readonly initialSeconds: number; readonly maxSeconds: number };
  /**
   * Time one SES call may take from its start (its turn at the pacer, its timeout and retries), and
   * time kept at the end of a run to settle what SES did and hand back the rest: no call starts
   * unless both are left.
   */
  readonly runBudget: {
    readonly callMs: number;
    readonly reserveMs: number;
    /** Time settling one row of an ended import job takes (its announcement and conditional record): a look starts only with time for all. */
    readonly settleMsPerRow: number;
  };
  readonly clock?: () => Date;
}

/** An address SES refused for good, or whose attempts are spent, with why: surfaced, never retried again. */
export interface Rejection {
  readonly entry: SuppressionEntry;
  readonly why: string;
}

/** What one call to {@link SuppressionWriter.write} did. */
export interface WriteOutcome {
  /** Put on the list by a single call each. */
  readonly suppressed: readonly SuppressionEntry[];
  /** Import jobs started (followed through the queue). */
  readonly imports: readonly ImportJobRef[];
  /** Already on the list with that reason (or COMPLAINT), or withdrawn meanwhile: no call made. */
  readonly skipped: number;
  /** Temporary suppressions made permanent (a hard bounce or complaint since): ledger only. */
  readonly madePermanent: number;
  readonly rejected: readonly Rejection[];
  /** Not done because SES failed transiently (throttled, 5xx): the message is retried. */
  readonly retryLater: readonly SuppressionEntry[];
  /** Not reached before the run's end: handed back to the queue, not a failure. */
  readonly unreached: readonly SuppressionEntry[];
}

/** What one removal call ({@link SuppressionWriter.withdraw}, `unsuppress`, a tick) did. */
export interface RemoveOutcome {
  /** Taken off the list by a single call each. */
  readonly removed: readonly string[];
  /** Not temporary (any more), not due, or not on the list: left alone. */
  readonly skipped: number;
  /** SES refused to take them off: kept on the list for good, surfaced. */
  readonly rejected: readonly Rejection[];
  readonly retryLater: readonly string[];
  readonly unreached: readonly string[];
}

/** What one tick did. */
export interface ExpireOutcome extends RemoveOutcome {
  /** Schedule entries that no longer matched the ledger (made permanent, removed, suppressed again): dropped. */
  readonly stale: number;
  /** Kept for good because the period is now 0. */
  readonly keptForGood: number;
}

/** What one look at an import job found. */
export type FollowOutcome =
  /** Not looked at before the run's end: the follow-up goes back to the queue. */
  | { readonly state: 'unreached' }
  /** SES did not create the job (refused or throttled it): the message that prepared it surfaced or retried its rows. */
  | { readonly state: 'not-created' }
  /** A DELETE job an earlier version started: the tick finishes its rows by single calls. */
  | { readonly state: 'superseded' }
  /**
   * No job id was ever recorded beside its rows: the writer that prepared it died (or S3 refused)
   * between creating it and recording it, or before creating it. A job SES may be running is not
   * followed: a human should look (its rows were retried by the message that prepared it).
   */
  | { readonly state: 'unrecorded' }
  | {
      readonly state: 'running';
      /** SES's id of the job; empty while none is recorded beside its rows yet. */
      readonly jobId: string;
      readonly nextLookInSeconds: number;
    }
  | {
      /** `unknown`: SES's answer could not be matched to the rows, or the job never ended: nothing was taken as suppressed. */
      readonly state: 'completed' | 'failed' | 'unknown';
      readonly jobId: string;
      /** Rows put on the list and settled. */
      readonly suppressed: number;
      /** Rows queued again (a failed job, or failed rows with attempts left). */
      readonly retried: number;
      readonly rejected: readonly Rejection[];
    };
