import { classify, mailContext, type Decision, type SuppressionReason } from './classify.js';
import { toFeedbackRecord } from './feedback-record.js';
import type { FeedbackStore } from './ports.js';
import type { SesMessage } from './ses-message.js';
import type { SoftBouncePolicy } from './soft-bounce-policy.js';
import type { SuppressionEntry } from './suppression.js';

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
}

export interface ProcessedMessage {
  readonly configurationSet?: string;
  readonly applied: readonly AppliedDecision[];
  /** Addresses to put on the suppression list; the caller hands them to the suppression writer. */
  readonly suppressions: readonly SuppressionEntry[];
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
    const applied: AppliedDecision[] = [];
    const recordedAt = this.clock();
    for (const decision of classify(message)) {
      applied.push(await this.apply(decision, toFeedbackRecord(decision, context, message.format, recordedAt)));
    }
    const suppressions = applied.flatMap(({ decision, suppress }) => (suppress ? [{ address: decision.address, reason: suppress }] : []));
    return { configurationSet: context.configurationSet, applied, suppressions };
  }

  private async apply(decision: Decision, record: ReturnType<typeof toFeedbackRecord>): Promise<AppliedDecision> {
    const { store, softBouncePolicy } = this.options;
    const duplicate = (await store.putEvent(record)) === 'duplicate';
    switch (decision.action) {
      case 'suppress':
        return { decision, duplicate, suppress: decision.reason ?? 'BOUNCE', escalated: false };
      case 'count': {
        const outcome = await store.addSoftBounce(decision.address, record.eventKey, decision.eventAt, softBouncePolicy);
        return { decision, duplicate, ...(outcome.escalate ? { suppress: 'BOUNCE' as const } : {}), escalated: outcome.escalate };
      }
      case 'record':
        if (decision.eventType === 'Delivery') await store.addDelivery(decision.address, decision.eventAt);
        return { decision, duplicate, escalated: false };
    }
  }
}
