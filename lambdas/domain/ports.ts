import type { SuppressionReason } from './classify.js';
import type { FeedbackRecord } from './feedback-record.js';
import type { SoftBounceOutcome, SoftBouncePolicy } from './soft-bounce-policy.js';

/** Outcome of trying to take the right to suppress an address. */
export type ClaimResult = 'claimed' | 'already-suppressed' | 'in-progress';

/** What the store knows about an address's suppression. */
export interface SuppressionState {
  /** Set once SES accepted the address. */
  readonly suppressedReason?: SuppressionReason;
  /** While a worker holds the claim: when it lapses (ISO-8601), so a crashed worker never blocks it. */
  readonly leaseUntil?: string;
}

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
  /** Takes the right to call SES for this address and reason (see {@link claimAllowed}). */
  claimSuppression(address: string, reason: SuppressionReason, now: Date, leaseUntil: Date): Promise<ClaimResult>;
  /** Marks the address suppressed, after SES accepted it. */
  completeSuppression(address: string, reason: SuppressionReason, at: Date): Promise<void>;
  /** Gives a claim back after SES failed, so a retry can take it at once. */
  releaseSuppression(address: string): Promise<void>;
}

/** The SES account-level suppression list. */
export interface SuppressionList {
  suppress(address: string, reason: SuppressionReason): Promise<void>;
}

/**
 * Whether a new suppression claim may be taken, given what the store holds.
 *
 * Not when SES already has the address (the same reason, or COMPLAINT: SES keeps one reason per
 * address and a complaint is the stronger signal, so BOUNCE → COMPLAINT is the one upgrade); not
 * while another worker's lease is live. Otherwise yes.
 */
export function claimAllowed(current: SuppressionState | undefined, reason: SuppressionReason, now: Date): ClaimResult {
  const upgrade = current?.suppressedReason === 'BOUNCE' && reason === 'COMPLAINT';
  if (current?.suppressedReason !== undefined && !upgrade) return 'already-suppressed';
  if (current?.leaseUntil !== undefined && current.leaseUntil >= now.toISOString()) return 'in-progress';
  return 'claimed';
}
