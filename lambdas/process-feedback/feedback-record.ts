import { createHash } from 'node:crypto';
import { domainOf } from '../shared/address.js';
import type { Decision } from './classify.js';
import type { MailContext } from './classify.js';
import type { SesFormat } from './ses-message.js';

/** One audit-trail entry: one decision about one recipient of one SES event. */
export interface FeedbackRecord extends Decision {
  /** Identity of the event for this address: `eventAt#eventType#messageId`. */
  readonly eventKey: string;
  readonly recipientDomain: string;
  readonly format: SesFormat;
  readonly context: MailContext;
  readonly recordedAt: string;
  /** Fields the message lacked and the pipeline filled in, with where from (see `SesMessage.derived`). */
  readonly derived?: readonly string[];
}

/**
 * The identity of one SES event for one recipient.
 *
 * SNS duplicates, and the same event arriving through both an event destination and an identity
 * notification topic, share it; two opens of one message do not.
 */
export function eventKeyOf(decision: Pick<Decision, 'eventAt' | 'eventType' | 'messageId'>): string {
  return `${decision.eventAt}#${keyPart(decision.eventType)}#${keyPart(decision.messageId)}`;
}

/** A key part of at most ~200 bytes (DynamoDB sort keys take 1,024): a longer one is replaced by its digest, still exact. */
function keyPart(text: string): string {
  if (text.length <= 66 || Buffer.byteLength(text) <= 200) return text;
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

export function toFeedbackRecord(decision: Decision, context: MailContext, format: SesFormat, recordedAt: Date, derived?: readonly string[]): FeedbackRecord {
  // Field by field, not `...decision`: spreading decisions into a wider literal took ~10 µs per
  // record in V8, two thirds of the classification's CPU (`npm run bench`).
  return {
    address: decision.address,
    action: decision.action,
    reason: decision.reason,
    rule: decision.rule,
    eventType: decision.eventType,
    messageId: decision.messageId,
    eventAt: decision.eventAt,
    detail: decision.detail,
    eventKey: eventKeyOf(decision),
    recipientDomain: domainOf(decision.address),
    format,
    context,
    recordedAt: recordedAt.toISOString(),
    derived,
  };
}

/** What an audit-trail entry counts as in reports and summaries. */
export type FeedbackClass = 'hard-bounce' | 'soft-bounce' | 'complaint' | 'provider-block' | 'other';

/**
 * The class of an audit-trail entry, read from its event type and action, which every entry has
 * whatever rule name it carries (the trail keeps entries longer than any one version of the rules);
 * only provider blocks, recorded like other bounces, are told by their rule.
 */
export function feedbackClassOf(entry: { readonly eventType: string; readonly action: string; readonly rule?: string }): FeedbackClass {
  if (entry.eventType === 'Bounce') {
    if (entry.action === 'suppress') return 'hard-bounce';
    if (entry.action === 'count') return 'soft-bounce';
    return entry.rule === 'provider-block' ? 'provider-block' : 'other';
  }
  return entry.eventType === 'Complaint' && entry.action === 'suppress' ? 'complaint' : 'other';
}
