import { classify, mailContext, type Decision, type SuppressionReason } from './classify.js';
import { SuppressionInProgressError } from './errors.js';
import { toFeedbackRecord } from './feedback-record.js';
import type { FeedbackStore, SuppressionList } from './ports.js';
import type { SesMessage } from './ses-message.js';
import type { SoftBouncePolicy } from './soft-bounce-policy.js';

export interface FeedbackProcessorOptions {
  readonly store: FeedbackStore;
  readonly suppressionList: SuppressionList;
  readonly softBouncePolicy: SoftBouncePolicy;
  /** The message tag that names a campaign in the audit trail. */
  readonly campaignTagName: string;
  /**
   * How long a suppression claim holds before another worker may take it over. Must exceed the
   * longest time one invocation can spend on it (the function timeout).
   */
  readonly suppressionLeaseInSeconds: number;
  readonly clock?: () => Date;
}

/** What happened to one decision. */
export interface AppliedDecision {
  readonly decision: Decision;
  /** The event was already in the audit trail (an SNS duplicate or a retry). */
  readonly duplicate: boolean;
  /** SES was called and accepted the address, with this reason. */
  readonly suppressed?: SuppressionReason;
  /** A `count` decision reached the soft-bounce threshold. */
  readonly escalated: boolean;
}

export interface ProcessedMessage {
  readonly configurationSet?: string;
  readonly applied: readonly AppliedDecision[];
}

/**
 * Applies the classification of one SES message: audit record, soft-bounce state, suppression.
 *
 * At-least-once in, exactly-once effect out: processing the same message again (duplicate, or a
 * retry after a crash between any two steps) writes no second record and calls SES again only if
 * the earlier call never completed.
 */
export class FeedbackProcessor {
  private readonly clock: () => Date;

  public constructor(private readonly options: FeedbackProcessorOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  public async process(message: SesMessage): Promise<ProcessedMessage> {
    const context = mailContext(message, this.options.campaignTagName);
    const applied: AppliedDecision[] = [];
    for (const decision of classify(message)) {
      applied.push(await this.apply(decision, toFeedbackRecord(decision, context, message.format, this.clock())));
    }
    return { configurationSet: context.configurationSet, applied };
  }

  private async apply(decision: Decision, record: ReturnType<typeof toFeedbackRecord>): Promise<AppliedDecision> {
    const { store, softBouncePolicy } = this.options;
    const duplicate = (await store.putEvent(record)) === 'duplicate';
    switch (decision.action) {
      case 'suppress': {
        const suppressed = await this.suppress(decision.address, decision.reason ?? 'BOUNCE');
        return { decision, duplicate, suppressed, escalated: false };
      }
      case 'count': {
        const outcome = await store.addSoftBounce(decision.address, record.eventKey, decision.eventAt, softBouncePolicy);
        const suppressed = outcome.escalate ? await this.suppress(decision.address, 'BOUNCE') : undefined;
        return { decision, duplicate, suppressed, escalated: outcome.escalate };
      }
      case 'record':
        if (decision.eventType === 'Delivery') await store.addDelivery(decision.address, decision.eventAt);
        return { decision, duplicate, escalated: false };
    }
  }

  /** Claim → SES → mark applied. Returns the reason when SES was called. */
  private async suppress(address: string, reason: SuppressionReason): Promise<SuppressionReason | undefined> {
    const { store, suppressionList, suppressionLeaseInSeconds } = this.options;
    const now = this.clock();
    const leaseUntil = new Date(now.getTime() + suppressionLeaseInSeconds * 1000);
    const claim = await store.claimSuppression(address, reason, now, leaseUntil);
    if (claim === 'already-suppressed') return undefined;
    if (claim === 'in-progress') throw new SuppressionInProgressError();
    try {
      await suppressionList.suppress(address, reason);
    } catch (error) {
      await store.releaseSuppression(address).catch(() => undefined);
      throw error;
    }
    await store.completeSuppression(address, reason, this.clock());
    return reason;
  }
}
