/**
 * The bench's realistic feedback mix, built from real SES payloads (test/fixtures, copied from the
 * shared corpus): both formats SES uses (event publishing and identity notifications), each record
 * made unique (message id, recipient) and wrapped as SNS delivers it to the pipeline's SQS queue.
 */
import type { SQSRecord } from 'aws-lambda';
import eventBounce from '../test/fixtures/eventpub-bounce-permanent-general.json';
import eventComplaint from '../test/fixtures/eventpub-complaint-abuse.json';
import eventDelivery from '../test/fixtures/eventpub-delivery.json';
import eventDelay from '../test/fixtures/eventpub-deliverydelay-transientcommunicationfailure.json';
import eventReject from '../test/fixtures/eventpub-reject.json';
import eventMailboxFull from '../test/fixtures/derived/eventpub-bounce-transient-mailboxfull.json';
import notifBounce from '../test/fixtures/notif-bounce-permanent-general-with-dsn.json';
import notifComplaint from '../test/fixtures/notif-complaint-abuse-with-feedback.json';
import notifDelivery from '../test/fixtures/notif-delivery.json';
import notifMailboxFull from '../test/fixtures/derived/notif-bounce-transient-mailboxfull.json';

/**
 * Share of each kind of payload in the mix (sums to 100): 70 % event publishing, 30 % identity
 * notifications; 60 % bounces (three in four hard), 10 % complaints, 28 % deliveries, delays, rejects.
 */
export const MIX: ReadonlyArray<{ readonly message: object; readonly share: number }> = [
  { message: eventBounce, share: 30 },
  { message: eventMailboxFull, share: 10 },
  { message: eventComplaint, share: 6 },
  { message: eventDelivery, share: 18 },
  { message: eventDelay, share: 4 },
  { message: eventReject, share: 2 },
  { message: notifBounce, share: 15 },
  { message: notifMailboxFull, share: 5 },
  { message: notifComplaint, share: 4 },
  { message: notifDelivery, share: 6 },
];

/** `count` SQS records of the mix, deterministic (same records every run). */
export function feedbackRecords(count: number): SQSRecord[] {
  const slots = MIX.flatMap((t) => Array.from({ length: t.share }, () => t.message as SesLike));
  const records: SQSRecord[] = [];
  for (let i = 0; i < count; i++) {
    const template = slots[(i * 37) % slots.length] as SesLike;
    records.push(sqsRecord(i, JSON.stringify(personalise(template, i))));
  }
  return records;
}

interface SesLike {
  mail: { messageId: string; destination?: string[]; commonHeaders?: { to?: string[] } };
  bounce?: { bouncedRecipients: Array<{ emailAddress: string }> };
  complaint?: { complainedRecipients: Array<{ emailAddress: string }> };
  delivery?: { recipients: string[] };
  deliveryDelay?: { delayedRecipients: Array<{ emailAddress: string }> };
}

/** A copy of the payload with its own message id and recipient. */
function personalise(template: SesLike, i: number): SesLike {
  const message = structuredClone(template);
  const address = `recipient${i}@d${i % 997}.example.org`;
  message.mail.messageId = `0100019a-bench-${String(i).padStart(8, '0')}-000000`;
  message.mail.destination = [address];
  if (message.mail.commonHeaders?.to) message.mail.commonHeaders.to = [address];
  const nth = (j: number): string => (j === 0 ? address : `recipient${i}.${j}@d${i % 997}.example.org`);
  message.bounce?.bouncedRecipients.forEach((r, j) => (r.emailAddress = nth(j)));
  message.complaint?.complainedRecipients.forEach((r, j) => (r.emailAddress = nth(j)));
  message.deliveryDelay?.delayedRecipients.forEach((r, j) => (r.emailAddress = nth(j)));
  if (message.delivery) message.delivery.recipients = message.delivery.recipients.map((_, j) => nth(j));
  return message;
}

function sqsRecord(i: number, sesMessage: string): SQSRecord {
  const snsMessageId = `b7f0c3d2-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const body = JSON.stringify({
    Type: 'Notification',
    MessageId: snsMessageId,
    TopicArn: 'arn:aws:sns:us-east-1:111111111111:ses-feedback',
    Subject: 'Amazon SES Email Event Notification',
    Message: sesMessage,
    Timestamp: '2026-11-23T09:00:00.000Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:111111111111:ses-feedback:0000',
  });
  return {
    messageId: snsMessageId,
    receiptHandle: `AQEB${i}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1763888400000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1763888400001',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111111111111:ses-feedback',
    awsRegion: 'us-east-1',
  };
}
