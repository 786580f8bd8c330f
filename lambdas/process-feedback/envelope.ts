import { MalformedMessageError } from '../shared/errors.js';
import { readSesMessage, type EnvelopeFacts, type SesMessage } from './ses-message.js';

/** Where a message was found: which wrapper(s) SES feedback arrived in. */
export type Envelope = 'bare' | 'sns' | 'sqs-raw' | 'sqs-sns' | 'lambda-sqs' | 'lambda-sns';

/** What one piece of input holds: SES feedback, or a message that is deliberately not feedback. */
export type FeedbackInput =
  | { kind: 'feedback'; message: SesMessage; envelope: Envelope }
  | { kind: 'not-feedback'; why: string; envelope: Envelope };

/** Text SES publishes when an SNS event destination is added to a configuration set. */
const SETUP_TEXT = /^Successfully validated SNS topic for Amazon SES event publishing/;
const NOT_FEEDBACK_SNS_TYPES = new Set(['SubscriptionConfirmation', 'UnsubscribeConfirmation']);
const MAX_DEPTH = 4;

/**
 * Reads SES feedback from any wrapper the pipeline can receive.
 *
 * Accepts the bare SES message (either format), an SNS envelope, an SNS→SQS body (raw or not), a
 * Lambda SQS event and a Lambda SNS event, as text or as parsed JSON. SNS setup and subscription
 * messages come back as `not-feedback`.
 *
 * @throws MalformedMessageError with a one-line reason when the input is none of these
 */
export function readFeedback(input: unknown): FeedbackInput[] {
  return read(input, 'bare', 0, NO_FACTS);
}

/**
 * Reads the body of one SQS message from the pipeline's queue (SNS envelope, or raw SES message).
 *
 * @param receivedAt when the queue received it (SQS `SentTimestamp`, epoch milliseconds): the time
 *   of last resort for a message that carries none and has no SNS envelope
 * @throws MalformedMessageError with a one-line reason
 */
export function readSqsBody(body: string, receivedAt?: string | number): FeedbackInput[] {
  return read(body, 'sqs-raw', 0, receivedAt === undefined ? NO_FACTS : { receivedAt });
}

const NO_FACTS: EnvelopeFacts = {};

/** Detail objects that make a message feedback, whatever its type field says. */
const FEEDBACK_DETAILS = ['bounce', 'complaint', 'delivery'] as const;

function read(input: unknown, envelope: Envelope, depth: number, facts: EnvelopeFacts): FeedbackInput[] {
  if (depth > MAX_DEPTH) throw new MalformedMessageError('input is nested too deeply');
  if (typeof input === 'string') return readText(input, envelope, depth, facts);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new MalformedMessageError('input is not a JSON object');
  }
  const value = input as Record<string, unknown>;

  if (Array.isArray(value.Records)) {
    if (value.Records.length === 0) throw new MalformedMessageError('Records is empty: the event holds no message');
    return value.Records.flatMap((record, index) => readLambdaRecord(record, index, depth));
  }
  if (typeof value.Type === 'string' && ('TopicArn' in value || 'Message' in value) && !('eventType' in value || 'notificationType' in value)) {
    return readSnsEnvelope(value, envelope === 'sqs-raw' ? 'sqs-sns' : envelope === 'bare' ? 'sns' : envelope, depth, facts);
  }
  if ('eventType' in value || 'notificationType' in value) {
    if (value.notificationType === 'AmazonSnsSubscriptionSucceeded') {
      const detail = FEEDBACK_DETAILS.find((key) => key in value);
      if (detail) throw new MalformedMessageError(`notificationType AmazonSnsSubscriptionSucceeded carries a ${detail} object: not a subscription notice`);
      return [{ kind: 'not-feedback', why: 'SES topic subscription notice', envelope }];
    }
    const message = readSesMessage(value, facts);
    if ('error' in message) throw new MalformedMessageError(`not a valid SES message: ${message.error}`);
    return [{ kind: 'feedback', message, envelope }];
  }
  throw new MalformedMessageError('not an SES message (no eventType or notificationType) nor a known envelope');
}

function readText(text: string, envelope: Envelope, depth: number, facts: EnvelopeFacts): FeedbackInput[] {
  const trimmed = text.trim();
  if (SETUP_TEXT.test(trimmed)) return [{ kind: 'not-feedback', why: 'SES topic validation notice', envelope }];
  if (!trimmed.startsWith('{')) throw new MalformedMessageError('message is not JSON');
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new MalformedMessageError('message is not valid JSON');
  }
  return read(parsed, envelope, depth + 1, facts);
}

function readSnsEnvelope(value: Record<string, unknown>, envelope: Envelope, depth: number, facts: EnvelopeFacts): FeedbackInput[] {
  const type = String(value.Type);
  if (NOT_FEEDBACK_SNS_TYPES.has(type)) {
    if (carriesSesMessage(value.Message)) throw new MalformedMessageError(`SNS ${type} wraps an SES message: not a subscription message`);
    return [{ kind: 'not-feedback', why: `SNS ${type}`, envelope }];
  }
  if (type !== 'Notification') throw new MalformedMessageError('SNS envelope has an unknown Type');
  if (typeof value.Message !== 'string') throw new MalformedMessageError('SNS envelope has no Message');
  // The SNS notification's time and ID, which every copy SNS delivers shares, read only if needed.
  return readText(value.Message, envelope, depth, { sns: value, receivedAt: facts.receivedAt });
}

function carriesSesMessage(message: unknown): boolean {
  if (typeof message !== 'string' || !message.trim().startsWith('{')) return false;
  try {
    const parsed = JSON.parse(message) as Record<string, unknown> | null;
    return typeof parsed === 'object' && parsed !== null && ('eventType' in parsed || 'notificationType' in parsed);
  } catch {
    return false;
  }
}

/**
 * What a captured Lambda event (SQS or SNS, as the processing function receives it and logs it)
 * carried before Lambda wrapped it: each record's SQS body, or its SNS notification as an SNS
 * envelope. Replaying those through SNS and SQS again gives the function what it got the first
 * time, instead of the same message under two more levels. Anything else is not a Lambda event:
 * `undefined`, to replay as it is.
 */
export function lambdaEventMessages(text: string): string[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const records = (value as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records) || records.length === 0) return undefined;
  const messages: string[] = [];
  for (const record of records as Array<Record<string, unknown> | null>) {
    if (record?.eventSource === 'aws:sqs' && typeof record.body === 'string') messages.push(record.body);
    else if (record?.EventSource === 'aws:sns' && typeof record.Sns === 'object' && record.Sns !== null) messages.push(JSON.stringify(record.Sns));
    else return undefined; // not a record Lambda makes: replayed whole, and refused with its reason
  }
  return messages;
}

function readLambdaRecord(record: unknown, index: number, depth: number): FeedbackInput[] {
  const r = (typeof record === 'object' && record !== null ? record : {}) as Record<string, unknown>;
  if (r.eventSource === 'aws:sqs' && typeof r.body === 'string') {
    const sent = (r.attributes as Record<string, unknown> | undefined)?.SentTimestamp;
    return read(r.body, 'lambda-sqs', depth + 1, typeof sent === 'string' || typeof sent === 'number' ? { receivedAt: sent } : NO_FACTS);
  }
  const sns = r.Sns as Record<string, unknown> | undefined;
  if (r.EventSource === 'aws:sns' && sns && typeof sns.Message === 'string') {
    return readSnsEnvelope(sns, 'lambda-sns', depth + 1, NO_FACTS);
  }
  throw new MalformedMessageError(`Records[${index}] is neither an SQS nor an SNS record`);
}
