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
  messageId: text,
  timestamp,
  source: optionalText,
  sourceArn: optionalText,
  sendingAccountId: optionalText,
  destination: z._default(z.array(z.string()), []),
  tags: z.optional(z.record(z.string(), z.array(z.string()))),
  commonHeaders: z.optional(z.object({ subject: optionalText })),
});

const recipient = z.object({ emailAddress: text });

export const bounceSchema = z.object({
  bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
  bounceSubType: text,
  bouncedRecipients: z
    .array(z.extend(recipient, { action: optionalText, status: optionalText, diagnosticCode: optionalText }))
    .check(z.minLength(1)),
  timestamp,
  feedbackId: optionalText,
  reportingMTA: optionalText,
});

export const complaintSchema = z.object({
  complainedRecipients: z.array(recipient).check(z.minLength(1)),
  timestamp,
  feedbackId: optionalText,
  complaintSubType: z.nullish(z.string()),
  complaintFeedbackType: z.nullish(z.string()),
  userAgent: optionalText,
  arrivalDate: optionalText,
});

export const deliverySchema = z.object({
  recipients: z.array(z.string()).check(z.minLength(1)),
  timestamp,
  smtpResponse: optionalText,
  reportingMTA: optionalText,
});

export const deliveryDelaySchema = z.object({
  delayType: optionalText,
  delayedRecipients: z._default(z.array(z.extend(recipient, { status: optionalText })), []),
  timestamp,
  expirationTime: optionalText,
});

/** Detail objects of events that never change suppression: only an optional timestamp matters. */
const otherDetailSchema = z.object({ timestamp: z.optional(timestamp) });

export type Mail = z.output<typeof mailSchema>;
export type Bounce = z.output<typeof bounceSchema>;
export type Complaint = z.output<typeof complaintSchema>;
export type Delivery = z.output<typeof deliverySchema>;
export type DeliveryDelay = z.output<typeof deliveryDelaySchema>;

/** Which SES feature produced the message. */
export type SesFormat = 'event-publishing' | 'notification';

/**
 * One SES feedback message, both formats read into one shape. `kind` tells which detail object it
 * carries; `eventType` keeps SES's own name (`Rendering Failure`, or a type SES adds later).
 */
export type SesMessage = { readonly format: SesFormat; readonly eventType: string; readonly mail: Mail } & (
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
 * Reads an object that carries `eventType` or `notificationType` as an SES message.
 *
 * @returns the message, or an error text naming the first offending field (never a value)
 */
export function readSesMessage(value: Record<string, unknown>): SesMessage | { error: string } {
  const format: SesFormat = 'eventType' in value ? 'event-publishing' : 'notification';
  const eventType = format === 'event-publishing' ? value.eventType : value.notificationType;
  if (typeof eventType !== 'string' || eventType.length === 0) {
    return { error: `${format === 'event-publishing' ? 'eventType' : 'notificationType'} is not a string` };
  }
  const mail = mailSchema.safeParse(value.mail);
  if (!mail.success) return { error: describe('mail', mail.error) };

  switch (eventType) {
    case 'Bounce': {
      const bounce = bounceSchema.safeParse(value.bounce);
      return bounce.success ? { format, eventType, mail: mail.data, kind: 'bounce', bounce: bounce.data } : { error: describe('bounce', bounce.error) };
    }
    case 'Complaint': {
      const complaint = complaintSchema.safeParse(value.complaint);
      return complaint.success
        ? { format, eventType, mail: mail.data, kind: 'complaint', complaint: complaint.data }
        : { error: describe('complaint', complaint.error) };
    }
    case 'Delivery': {
      const delivery = deliverySchema.safeParse(value.delivery);
      return delivery.success
        ? { format, eventType, mail: mail.data, kind: 'delivery', delivery: delivery.data }
        : { error: describe('delivery', delivery.error) };
    }
    case 'DeliveryDelay': {
      const delay = deliveryDelaySchema.safeParse(value.deliveryDelay);
      return delay.success
        ? { format, eventType, mail: mail.data, kind: 'delivery-delay', deliveryDelay: delay.data }
        : { error: describe('deliveryDelay', delay.error) };
    }
    default: {
      const key = DETAIL_KEYS[eventType];
      const detail = key === undefined ? undefined : otherDetailSchema.safeParse(value[key] ?? {});
      if (detail && !detail.success) return { error: describe(key ?? 'detail', detail.error) };
      return { format, eventType, mail: mail.data, kind: 'other', eventAt: detail?.data.timestamp };
    }
  }
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
