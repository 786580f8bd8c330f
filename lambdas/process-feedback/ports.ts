import type { FeedbackRecord } from './feedback-record.js';
import type { DeliveryOutcome, SoftBounceOutcome, SoftBouncePolicy } from './soft-bounce-policy.js';

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
