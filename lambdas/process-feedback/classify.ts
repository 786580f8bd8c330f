import type { SuppressionReason } from '../shared/suppression.js';
import { domainOf, isSimulatorAddress, maskAddress, readAddress } from '../shared/address.js';
import { readDsnStatus, type DsnClass } from './dsn.js';
import type { Bounce, Complaint, SesMessage } from './ses-message.js';

/** What the pipeline does about one recipient of one SES event. */
export type Action = 'suppress' | 'count' | 'record';


/**
 * Which rule of the classification contract produced a decision; kept in the audit trail so an
 * appeal can say why every address was suppressed. Records outlive the code that wrote them:
 * readers of the trail must expect names that are not (or no longer) in this union.
 */
export type Rule =
  | 'permanent-bounce'
  | 'already-on-account-suppression-list'
  | 'address-status'
  | 'provider-block'
  | 'message-level-bounce'
  | 'soft-bounce'
  | 'complaint'
  | 'complaint-not-spam'
  | 'mailbox-simulator'
  | 'no-effect';

/** Per-recipient facts from the SES event that an audit needs. */
export interface DecisionDetail {
  readonly bounceType?: string;
  readonly bounceSubType?: string;
  readonly status?: string;
  readonly diagnosticCode?: string;
  /** The enhanced status code read from `status`, else from `diagnosticCode` (`5.7.26`). */
  readonly dsnCode?: string;
  readonly dsnClass?: DsnClass;
  readonly complaintFeedbackType?: string;
  readonly complaintSubType?: string;
  readonly delayType?: string;
}

/** One decision per affected recipient address. */
export interface Decision {
  /** Normalised (lower-case) address. */
  readonly address: string;
  readonly action: Action;
  /** Set exactly when `action` is `suppress`. */
  readonly reason: SuppressionReason | null;
  readonly rule: Rule;
  readonly eventType: string;
  readonly messageId: string;
  /** When the event happened, ISO-8601 UTC: the detail object's timestamp, else the send time. */
  readonly eventAt: string;
  readonly detail: DecisionDetail;
}

/**
 * A recipient the pipeline cannot decide about: its address is not one SES would take. It is parked
 * (dead-letter queue) with this reason, while the message's other recipients go on.
 */
export interface RefusedRecipient {
  /** 1-based position among the recipients the event lists. */
  readonly position: number;
  /** How many recipients the event lists. */
  readonly of: number;
  /** The recipient as masked for logs and reasons ({@link maskAddress}). */
  readonly masked: string;
  /** Why it is not decided, in words (never the address). */
  readonly problem: string;
}

/** What {@link classify} found in one message: one decision per readable recipient, and the others. */
export interface Classification {
  readonly decisions: Decision[];
  readonly refused: RefusedRecipient[];
}

/** One line naming a refused recipient (masked) and why: the reason a parked message carries. */
export function describeRefusal(refused: RefusedRecipient, eventType: string): string {
  return `${eventType} recipient ${refused.position} of ${refused.of} (${refused.masked}): ${refused.problem}`;
}

/** SES sends one message to at most 50 recipients (To, Cc and Bcc together). */
export const MAX_RECIPIENTS = 50;

/** Transient subtypes where the message, not the address, was the problem. */
const MESSAGE_LEVEL_SUBTYPES = new Set(['MessageTooLarge', 'ContentRejected', 'AttachmentRejected']);

type Verdict = Pick<Decision, 'action' | 'reason' | 'rule'>;

/**
 * The classification contract: one decision per affected recipient of an SES event.
 *
 * Pure: same message, same decisions. A recipient listed twice yields one decision (the strongest).
 * Per recipient, never per message: a recipient whose address SES would refuse is returned in
 * `refused`, and the others are decided as if it were not there.
 */
export function classify(message: SesMessage): Classification {
  const base = { eventType: message.eventType, messageId: message.mail.messageId };
  const decisions: Decision[] = [];
  const refused: RefusedRecipient[] = [];
  let position = 0;
  let of = 0;
  const add = (rawAddress: string, verdict: Verdict, eventAt: string, detail: DecisionDetail = {}): void => {
    position++;
    if (position > MAX_RECIPIENTS) {
      // Not SES's: it sends one message to at most 50. Each recipient beyond is parked, not decided,
      // which also bounds the work (and the function's time) one message can cause.
      refused.push({ position, of, masked: maskAddress(rawAddress), problem: `beyond the ${MAX_RECIPIENTS} recipients SES sends one message to` });
      return;
    }
    const reading = readAddress(rawAddress);
    if (reading.problem !== undefined) {
      refused.push({ position, of, masked: maskAddress(rawAddress), problem: `SES would refuse this address: ${reading.problem}` });
      return;
    }
    const address = reading.address;
    const { action, reason, rule } = isSimulatorAddress(address) ? SIMULATOR : verdict;
    // Every decision is built with the same fields in the same order: one object shape keeps the
    // hot path monomorphic (spreading varied shapes cost ~10 µs per record; see bench/).
    decisions.push({ address, action, reason, rule, eventType: base.eventType, messageId: base.messageId, eventAt, detail });
  };

  switch (message.kind) {
    case 'bounce': {
      const { bounce } = message;
      of = bounce.bouncedRecipients.length;
      for (const recipient of bounce.bouncedRecipients) {
        const dsn = readDsnStatus(recipient.status, recipient.diagnosticCode);
        add(recipient.emailAddress, bounceVerdict(bounce, dsn.dsnClass), bounce.timestamp, {
          bounceType: bounce.bounceType,
          bounceSubType: bounce.bounceSubType,
          status: recipient.status,
          diagnosticCode: recipient.diagnosticCode,
          dsnCode: dsn.code,
          dsnClass: dsn.dsnClass,
        });
      }
      break;
    }
    case 'complaint': {
      const { complaint } = message;
      const verdict = complaintVerdict(complaint);
      of = complaint.complainedRecipients.length;
      for (const recipient of complaint.complainedRecipients) {
        add(recipient.emailAddress, verdict, complaint.timestamp, {
          complaintFeedbackType: complaint.complaintFeedbackType ?? undefined,
          complaintSubType: complaint.complaintSubType ?? undefined,
        });
      }
      break;
    }
    case 'delivery':
      of = message.delivery.recipients.length;
      for (const address of message.delivery.recipients) add(address, RECORD, message.delivery.timestamp);
      break;
    case 'delivery-delay': {
      const { deliveryDelay } = message;
      const recipients = deliveryDelay.delayedRecipients.length > 0
        ? deliveryDelay.delayedRecipients
        : message.mail.destination.map((emailAddress) => ({ emailAddress, status: undefined }));
      of = recipients.length;
      for (const r of recipients) {
        add(r.emailAddress, RECORD, deliveryDelay.timestamp, { delayType: deliveryDelay.delayType, status: r.status });
      }
      break;
    }
    case 'other': {
      const eventAt = message.eventAt ?? message.mail.timestamp;
      of = message.mail.destination.length;
      for (const address of message.mail.destination) add(address, RECORD, eventAt);
    }
  }
  return { decisions: strongestPerAddress(decisions), refused };
}

const RECORD: Verdict = { action: 'record', reason: null, rule: 'no-effect' };
const SIMULATOR: Verdict = { action: 'record', reason: null, rule: 'mailbox-simulator' };

const PERMANENT_BOUNCE: Verdict = { action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce' };
const ALREADY_SUPPRESSED: Verdict = { action: 'record', reason: null, rule: 'already-on-account-suppression-list' };
const ADDRESS_STATUS: Verdict = { action: 'suppress', reason: 'BOUNCE', rule: 'address-status' };
const PROVIDER_BLOCK: Verdict = { action: 'record', reason: null, rule: 'provider-block' };
const MESSAGE_LEVEL: Verdict = { action: 'record', reason: null, rule: 'message-level-bounce' };
const SOFT_BOUNCE: Verdict = { action: 'count', reason: null, rule: 'soft-bounce' };

/**
 * A Permanent bounce suppresses whatever its status says (SES has stopped trying). Transient and
 * Undetermined bounces are decided per recipient by what its DSN status says the failure was about.
 */
function bounceVerdict(bounce: Bounce, dsnClass: DsnClass): Verdict {
  if (bounce.bounceType === 'Permanent') {
    return bounce.bounceSubType === 'OnAccountSuppressionList' ? ALREADY_SUPPRESSED : PERMANENT_BOUNCE;
  }
  // SES's message-level subtypes win over any status: they say the message was the problem.
  if (MESSAGE_LEVEL_SUBTYPES.has(bounce.bounceSubType)) return MESSAGE_LEVEL;
  switch (dsnClass) {
    case 'address':
      return ADDRESS_STATUS;
    case 'policy':
      // The receiver refused the sender (spam block, rate limit, DMARC): the reader's address is fine.
      return PROVIDER_BLOCK;
    case 'content':
      return MESSAGE_LEVEL;
    case 'other-permanent':
    case 'transient':
    case 'none':
      // 5.0.0, 5.2.2 mailbox full, 4.x.x, no status: counted; repeated, they escalate.
      return SOFT_BOUNCE;
  }
}

function complaintVerdict(complaint: Complaint): Verdict {
  if (complaint.complaintSubType === 'OnAccountSuppressionList') {
    return { action: 'record', reason: null, rule: 'already-on-account-suppression-list' };
  }
  if (complaint.complaintFeedbackType === 'not-spam') {
    return { action: 'record', reason: null, rule: 'complaint-not-spam' };
  }
  return { action: 'suppress', reason: 'COMPLAINT', rule: 'complaint' };
}

const STRENGTH: Readonly<Record<Action, number>> = { suppress: 2, count: 1, record: 0 };

function strongestPerAddress(decisions: Decision[]): Decision[] {
  const byAddress = new Map<string, Decision>();
  for (const d of decisions) {
    const seen = byAddress.get(d.address);
    if (!seen || STRENGTH[d.action] > STRENGTH[seen.action]) byAddress.set(d.address, d);
  }
  return [...byAddress.values()];
}

/** Facts about the message (not the recipient) that the audit trail indexes. */
export interface MailContext {
  readonly configurationSet?: string;
  readonly campaign?: string;
  readonly sendingDomain?: string;
  readonly subject?: string;
  readonly sentAt: string;
  readonly tags: Readonly<Record<string, readonly string[]>>;
}

/**
 * Reads the configuration set, campaign tag and sending domain of a message.
 *
 * @param campaignTagName the message tag that names a campaign (e.g. `campaign`)
 */
export function mailContext(message: SesMessage, campaignTagName: string): MailContext {
  const { mail } = message;
  const tags = mail.tags ?? {};
  const sourceAddress = mail.source ? /<([^<>]+)>\s*$/.exec(mail.source)?.[1] ?? mail.source : undefined;
  return {
    configurationSet: tags['ses:configuration-set']?.[0],
    campaign: tags[campaignTagName]?.[0],
    sendingDomain: tags['ses:from-domain']?.[0] ?? (sourceAddress?.includes('@') ? domainOf(sourceAddress.trim().toLowerCase()) : undefined),
    subject: mail.commonHeaders?.subject,
    sentAt: mail.timestamp,
    tags,
  };
}
