import { classify, describeRefusal, mailContext, type Decision } from './classify.js';
import { type SuppressionReason } from '../shared/suppression.js';
import { maskAddress } from '../shared/address.js';
import { RecordRefusedError } from '../shared/errors.js';
import { toFeedbackRecord } from './feedback-record.js';
import type { FeedbackStore } from './ports.js';
import type { SesMessage } from './ses-message.js';
import type { SoftBouncePolicy } from './soft-bounce-policy.js';
import type { SuppressionEntry } from '../shared/suppression.js';

export interface FeedbackProcessorOptions {
  readonly store: FeedbackStore;
  readonly softBouncePolicy: SoftBouncePolicy;
  /** The message tag that names a campaign in the audit trail. */
  readonly campaignTagName: string;
  readonly clock?: () => Date;
}

/** What happened to one decision. */
export interface AppliedDecision {
  readonly decision: Decision;
  /** The event was already in the audit trail (an SNS duplicate or a retry). */
  readonly duplicate: boolean;
  /** The address is to be suppressed with this reason (handed to the suppression writer). */
  readonly suppress?: SuppressionReason;
  /** A `count` decision reached the soft-bounce threshold. */
  readonly escalated: boolean;
  /** A Delivery cancelled soft bounces an escalation counted: its temporary suppression is withdrawn. */
  readonly withdrawn?: true;
  /** Why the audit trail refused this decision's record for good (the rest of the decision was applied). */
  readonly recordRefused?: string;
}

/** A recipient of the message that was not decided and recorded, and why (masked: safe to log). */
export interface ParkedRecipient {
  readonly reason: string;
}

export interface ProcessedMessage {
  readonly configurationSet?: string;
  readonly applied: readonly AppliedDecision[];
  /**
   * Recipients to park in the dead-letter queue, each with its reason: an address SES would refuse,
   * or a record the audit trail refused for good. The message's other recipients are applied.
   */
  readonly parked: readonly ParkedRecipient[];
  /** Addresses to put on the suppression list; the caller hands them to the suppression writer. */
  readonly suppressions: readonly SuppressionEntry[];
  /** Addresses whose temporary suppression a late delivery withdrew; the caller hands them to the writer. */
  readonly withdrawals: readonly string[];
}

/**
 * Applies the classification of one SES message: audit record, soft-bounce state, and the list of
 * addresses to suppress.
 *
 * At-least-once in, exactly-once effect out: processing the same message again (duplicate, or a
 * retry after a crash between any two steps) writes no second record and asks for the same
 * suppressions again, which the writer skips once SES has them. Suppressing is not done here: a
 * flood of bounces must become a few import jobs, not one SES call per address.
 */
export class FeedbackProcessor {
  private readonly clock: () => Date;

  public constructor(private readonly options: FeedbackProcessorOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  public async process(message: SesMessage): Promise<ProcessedMessage> {
    const context = mailContext(message, this.options.campaignTagName);
    const { decisions, refused } = classify(message);
    const parked: ParkedRecipient[] = refused.map((r) => ({ reason: describeRefusal(r, message.eventType) }));
    const applied: AppliedDecision[] = [];
    const recordedAt = this.clock();
    for (const decision of decisions) {
      const outcome = await this.apply(decision, toFeedbackRecord(decision, context, message.format, recordedAt, message.derived));
      applied.push(outcome);
      if (outcome.recordRefused !== undefined) {
        // The decision stands without its audit record (a hard bounce is still suppressed, a delivery
        // still resets the soft-bounce count); the recipient is parked so the missing record is seen.
        parked.push({ reason: `${message.eventType} recipient ${maskAddress(decision.address)}: ${outcome.recordRefused}` });
      }
    }
    // Soft bounces that escalated suppress for a while (a full mailbox comes back); the writer knows how long.
    const suppressions = applied.flatMap(({ decision, suppress, escalated }): SuppressionEntry[] =>
      suppress ? [escalated ? { address: decision.address, reason: suppress, temporary: true } : { address: decision.address, reason: suppress }] : [],
    );
    const withdrawals = applied.filter((a) => a.withdrawn).map((a) => a.decision.address);
    return { configurationSet: context.configurationSet, applied, parked, suppressions, withdrawals };
  }

  private async apply(decision: Decision, record: ReturnType<typeof toFeedbackRecord>): Promise<AppliedDecision> {
    const { store, softBouncePolicy } = this.options;
    let duplicate = false;
    let recordRefused: string | undefined;
    try {
      duplicate = (await store.putEvent(record)) === 'duplicate';
    } catch (error) {
      if (!(error instanceof RecordRefusedError)) throw error;
      recordRefused = error.message;
    }
    switch (decision.action) {
      case 'suppress':
        return { decision, duplicate, suppress: decision.reason ?? 'BOUNCE', escalated: false, recordRefused };
      case 'count': {
        const outcome = await store.addSoftBounce(decision.address, record.eventKey, decision.eventAt, softBouncePolicy);
        return { decision, duplicate, suppress: outcome.escalate ? 'BOUNCE' : undefined, escalated: outcome.escalate, recordRefused };
      }
      case 'record': {
        // A duplicate is applied again too: the run that recorded it may have died before the hand-over.
        const { withdraw } = decision.eventType === 'Delivery' ? await store.addDelivery(decision.address, decision.eventAt, softBouncePolicy) : { withdraw: false };
        return { decision, duplicate, escalated: false, recordRefused, ...(withdraw ? { withdrawn: true as const } : {}) };
      }
    }
  }
}
