import { createHash } from 'node:crypto';
import * as z from 'zod/mini';

/**
 * Explicit schemas for the SES feedback message, in both formats SES sends:
 * event publishing (configuration set → SNS, field `eventType`) and identity notifications
 * (`notificationType`). Unknown fields are ignored, as SES asks ("must be flexible enough to handle
 * unknown fields"); every field the decision depends on is checked. Zod Mini keeps the bundle small.
 */

const text = z.string().check(z.minLength(1));
const optionalText = z.optional(z.string());

/**
 * SES's usual form, already ISO-8601 UTC with milliseconds, with fields that cannot roll over
 * (day <= 28, hour <= 23): `toISOString` would give back the same text, so it is kept as it is.
 */
const CANONICAL_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * SES sometimes writes `2018-10-08T14:05:45 +0000`; every timestamp is normalised to ISO-8601 UTC.
 * Parsed once per value: the former refine-then-transform parsed twice and re-formatted every
 * timestamp, a fifth of the message's CPU (`npm run bench`).
 */
const timestamp = z.pipe(
  z.string(),
  z.transform((value: string, payload) => {
    if (CANONICAL_UTC.test(value)) return value;
    const ms = Date.parse(value.replace(/ ([+-]\d{4})$/, '$1'));
    if (Number.isNaN(ms)) {
      payload.issues.push({ code: 'custom', message: 'is not a timestamp', input: value });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  }),
);

export const mailSchema = z.object({
  messageId: z.optional(text),
  timestamp: z.optional(timestamp),
  source: optionalText,
  sourceArn: optionalText,
  sendingAccountId: optionalText,
  destination: z._default(z.array(z.string()), []),
  tags: z.optional(z.record(z.string(), z.array(z.string()))),
  commonHeaders: z.optional(z.object({ subject: optionalText })),
});

/** A recipient's address is read by the address grammar, per recipient: even an empty one only parks itself. */
const recipient = z.object({ emailAddress: z.string() });

export const bounceSchema = z.object({
  bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
  bounceSubType: text,
  bouncedRecipients: z
    .array(z.extend(recipient, { action: optionalText, status: optionalText, diagnosticCode: optionalText }))
    .check(z.minLength(1)),
  timestamp: z.optional(timestamp),
  feedbackId: optionalText,
  reportingMTA: optionalText,
});

export const complaintSchema = z.object({
  complainedRecipients: z.array(recipient).check(z.minLength(1)),
  timestamp: z.optional(timestamp),
  feedbackId: optionalText,
  complaintSubType: z.nullish(z.string()),
  complaintFeedbackType: z.nullish(z.string()),
  userAgent: optionalText,
  arrivalDate: optionalText,
});

export const deliverySchema = z.object({
  recipients: z.array(z.string()).check(z.minLength(1)),
  timestamp: z.optional(timestamp),
  smtpResponse: optionalText,
  reportingMTA: optionalText,
});

export const deliveryDelaySchema = z.object({
  delayType: optionalText,
  delayedRecipients: z._default(z.array(z.extend(recipient, { status: optionalText })), []),
  timestamp: z.optional(timestamp),
  expirationTime: optionalText,
});

/** Detail objects of events that never change suppression: only an optional timestamp matters. */
const otherDetailSchema = z.object({ timestamp: z.optional(timestamp) });

/** Fields the decision and the audit trail key on are always there once read (see {@link readSesMessage}). */
type Settled<T, K extends keyof T> = Omit<T, K> & { readonly [P in K]-?: NonNullable<T[P]> };

export type Mail = Settled<z.output<typeof mailSchema>, 'messageId' | 'timestamp'>;
export type Bounce = Settled<z.output<typeof bounceSchema>, 'timestamp'>;
export type Complaint = Settled<z.output<typeof complaintSchema>, 'timestamp'>;
export type Delivery = Settled<z.output<typeof deliverySchema>, 'timestamp'>;
export type DeliveryDelay = Settled<z.output<typeof deliveryDelaySchema>, 'timestamp'>;

/** Which SES feature produced the message. */
export type SesFormat = 'event-publishing' | 'notification';

/**
 * One SES feedback message, both formats read into one shape. `kind` tells which detail object it
 * carries; `eventType` keeps SES's own name (`Rendering Failure`, or a type SES adds later).
 */
export type SesMessage = {
  readonly format: SesFormat;
  readonly eventType: string;
  readonly mail: Mail;
  /**
   * Fields the message lacked and the pipeline filled in, each with where from (e.g. `mail.timestamp
   * from the SNS envelope`): kept in the audit record, so nothing inferred passes for what SES said.
   */
  readonly derived?: readonly string[];
} & (
  | { readonly kind: 'bounce'; readonly bounce: Bounce }
  | { readonly kind: 'complaint'; readonly complaint: Complaint }
  | { readonly kind: 'delivery'; readonly delivery: Delivery }
  | { readonly kind: 'delivery-delay'; readonly deliveryDelay: DeliveryDelay }
  | { readonly kind: 'other'; readonly eventAt?: string }
);

/** The key of the detail object for each event type SES documents. */
const DETAIL_KEYS: Readonly<Record<string, string>> = {
  Send: 'send',
  Reject: 'reject',
  Open: 'open',
  Click: 'click',
  'Rendering Failure': 'failure',
  Subscription: 'subscription',
};

/**
 * What the envelope around a message knows, for the fields a complete message could lack: the SNS
 * notification's `Timestamp` and `MessageId` (the same on every copy SNS delivers), or when the
 * queue received it. Kept raw: read only for a message that lacks its own (off the hot path).
 */
export interface EnvelopeFacts {
  readonly sns?: { readonly Timestamp?: unknown; readonly MessageId?: unknown };
  /** SQS `SentTimestamp`: epoch milliseconds, as SQS gives it (text) or as a number. */
  readonly receivedAt?: string | number;
}

/** The envelope's time, ISO-8601, and where it comes from; undefined when it has none. */
function envelopeTime(facts: EnvelopeFacts): { at: string; source: string } | undefined {
  const sns = facts.sns?.Timestamp;
  if (typeof sns === 'string' && !Number.isNaN(Date.parse(sns))) return { at: new Date(sns).toISOString(), source: 'the SNS envelope' };
  const ms = Number(facts.receivedAt);
  if (facts.receivedAt !== undefined && Number.isFinite(ms) && ms > 0) return { at: new Date(ms).toISOString(), source: 'the SQS receipt' };
  return undefined;
}

/**
 * Reads an object that carries `eventType` or `notificationType` as an SES message.
 *
 * Refuses only what the pipeline cannot act on: no feedback type, no detail object, no recipient, a
 * field of the wrong type. A missing time is taken from the detail object, the send time or the
 * envelope, and a missing message ID from the feedback ID, the SNS MessageId or a digest of the
 * detail object; each such field is listed in `derived`.
 *
 * @returns the message, or an error text naming the first offending field (never a value)
 */
export function readSesMessage(value: Record<string, unknown>, envelope: EnvelopeFacts = {}): SesMessage | { error: string } {
  const format: SesFormat = 'eventType' in value ? 'event-publishing' : 'notification';
  const eventType = format === 'event-publishing' ? value.eventType : value.notificationType;
  if (typeof eventType !== 'string' || eventType.length === 0) {
    return { error: `${format === 'event-publishing' ? 'eventType' : 'notificationType'} is not a string` };
  }
  const mail = mailSchema.safeParse(value.mail ?? {});
  if (!mail.success) return { error: describe('mail', mail.error) };
  const derived: string[] = [];
  const settle = <T extends { timestamp?: string }>(detailKey: string, detail: T): (T & { timestamp: string }) | { error: string } => {
    // The usual case, on the hot path: SES gave the time; no copy.
    if (detail.timestamp !== undefined) return detail as T & { timestamp: string };
    const fromEnvelope = mail.data.timestamp === undefined ? envelopeTime(envelope) : undefined;
    const at = mail.data.timestamp ?? fromEnvelope?.at;
    if (at === undefined) return { error: `${detailKey}.timestamp: missing, and neither mail.timestamp nor the envelope gives a time` };
    derived.push(`${detailKey}.timestamp from ${mail.data.timestamp !== undefined ? 'mail.timestamp' : (fromEnvelope?.source ?? 'the envelope')}`);
    return { ...detail, timestamp: at };
  };
  const settledMail = (detailKey: string | undefined): Mail | { error: string } => {
    if (mail.data.timestamp !== undefined && mail.data.messageId !== undefined) return mail.data as Mail;
    const fromEnvelope = mail.data.timestamp === undefined ? envelopeTime(envelope) : undefined;
    const timestamp = mail.data.timestamp ?? fromEnvelope?.at;
    if (timestamp === undefined) return { error: 'mail.timestamp: missing, and the envelope gives no time' };
    if (fromEnvelope !== undefined) derived.push(`mail.timestamp from ${fromEnvelope.source}`);
    const messageId = mail.data.messageId ?? derivedMessageId(detailKey === undefined ? undefined : value[detailKey], envelope);
    if (mail.data.messageId === undefined) derived.push(`mail.messageId from ${messageId.slice(0, messageId.indexOf(':'))}`);
    return { ...mail.data, timestamp, messageId };
  };
  const done = <M extends SesMessage>(build: (mail: Mail) => M, detailKey: string | undefined): M | { error: string } => {
    const m = settledMail(detailKey);
    if ('error' in m) return m;
    const message = build(m);
    return derived.length > 0 ? { ...message, derived } : message;
  };

  switch (eventType) {
    case 'Bounce': {
      const bounce = bounceSchema.safeParse(value.bounce);
      if (!bounce.success) return { error: describe('bounce', bounce.error) };
      const detail = settle('bounce', bounce.data);
      return 'error' in detail ? detail : done((m) => ({ format, eventType, mail: m, kind: 'bounce', bounce: detail }), 'bounce');
    }
    case 'Complaint': {
      const complaint = complaintSchema.safeParse(value.complaint);
      if (!complaint.success) return { error: describe('complaint', complaint.error) };
      const detail = settle('complaint', complaint.data);
      return 'error' in detail ? detail : done((m) => ({ format, eventType, mail: m, kind: 'complaint', complaint: detail }), 'complaint');
    }
    case 'Delivery': {
      const delivery = deliverySchema.safeParse(value.delivery);
      if (!delivery.success) return { error: describe('delivery', delivery.error) };
      const detail = settle('delivery', delivery.data);
      return 'error' in detail ? detail : done((m) => ({ format, eventType, mail: m, kind: 'delivery', delivery: detail }), 'delivery');
    }
    case 'DeliveryDelay': {
      const delay = deliveryDelaySchema.safeParse(value.deliveryDelay);
      if (!delay.success) return { error: describe('deliveryDelay', delay.error) };
      const detail = settle('deliveryDelay', delay.data);
      return 'error' in detail ? detail : done((m) => ({ format, eventType, mail: m, kind: 'delivery-delay', deliveryDelay: detail }), 'deliveryDelay');
    }
    default: {
      const key = DETAIL_KEYS[eventType];
      const detail = key === undefined ? undefined : otherDetailSchema.safeParse(value[key] ?? {});
      if (detail && !detail.success) return { error: describe(key ?? 'detail', detail.error) };
      return done((m) => ({ format, eventType, mail: m, kind: 'other', eventAt: detail?.data.timestamp }), key);
    }
  }
}

/**
 * An identity for a message that has no `mail.messageId`, the same for every copy of it: the
 * detail's feedback ID, else the SNS notification's MessageId, else a digest of the detail object.
 */
function derivedMessageId(detail: unknown, envelope: EnvelopeFacts): string {
  const feedbackId = (detail as { feedbackId?: unknown } | undefined)?.feedbackId;
  if (typeof feedbackId === 'string' && feedbackId !== '') return `feedbackId:${feedbackId}`;
  const snsMessageId = envelope.sns?.MessageId;
  if (typeof snsMessageId === 'string' && snsMessageId !== '') return `snsMessageId:${snsMessageId}`;
  return `digest:${createHash('sha256').update(JSON.stringify(detail ?? null)).digest('hex').slice(0, 32)}`;
}

/** One line naming the first bad field and what is wrong with it; never the value itself. */
function describe(root: string, error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return `${root} is invalid`;
  const path = [root, ...issue.path.map(String)].join('.');
  switch (issue.code) {
    case 'invalid_type':
      return `${path}: expected ${issue.expected}`;
    case 'too_small':
      return `${path}: is empty`;
    case 'invalid_value':
      return `${path}: expected one of ${issue.values.map(String).join(', ')}`;
    default:
      return `${path}: ${issue.message ?? 'is invalid'}`;
  }
}
