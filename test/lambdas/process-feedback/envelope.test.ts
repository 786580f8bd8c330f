import { lambdaEventMessages, readFeedback, readSqsBody } from '../../../lambdas/process-feedback/envelope.js';
import { MalformedMessageError } from '../../../lambdas/shared/errors.js';
import { decisionsFor, fixture, fixtureJson, variant } from '../../support/fixtures.js';

const BOUNCE_DECISION = { address: 'recipient@example.com', action: 'suppress', reason: 'BOUNCE', eventType: 'Bounce' };
const DSN_BOUNCE_DECISION = { address: 'jane@example.com', action: 'suppress', reason: 'BOUNCE', eventType: 'Bounce' };

describe('readFeedback: every envelope gives the same decision', () => {
  it.each([
    ['bare event-publishing message', 'eventpub-bounce-permanent-general.json', 'bare', BOUNCE_DECISION],
    ['SNS envelope', 'derived/sns-envelope-eventpub-bounce-permanent-general.json', 'sns', BOUNCE_DECISION],
    ['Lambda SQS event, SNS envelope in the body', 'derived/sqs-event-eventpub-bounce-permanent-general.json', 'lambda-sqs', BOUNCE_DECISION],
    ['Lambda SQS event, raw message delivery', 'derived/sqs-event-raw-eventpub-bounce-permanent-general.json', 'lambda-sqs', BOUNCE_DECISION],
    ['Lambda SNS event', 'derived/lambda-sns-event-eventpub-bounce-permanent-general.json', 'lambda-sns', BOUNCE_DECISION],
    ['bare identity notification', 'notif-bounce-permanent-general-with-dsn.json', 'bare', DSN_BOUNCE_DECISION],
    ['SNS envelope of a notification (no Subject)', 'derived/sns-envelope-notif-bounce-permanent-general-with-dsn.json', 'sns', DSN_BOUNCE_DECISION],
    ['Lambda SQS event of a notification', 'derived/sqs-event-notif-bounce-permanent-general-with-dsn.json', 'lambda-sqs', DSN_BOUNCE_DECISION],
    ['Lambda SQS event of a notification, raw', 'derived/sqs-event-raw-notif-bounce-permanent-general-with-dsn.json', 'lambda-sqs', DSN_BOUNCE_DECISION],
    ['Lambda SNS event of a notification (Subject null)', 'derived/lambda-sns-event-notif-bounce-permanent-general-with-dsn.json', 'lambda-sns', DSN_BOUNCE_DECISION],
  ])('reads a %s', (_name, file, envelope, expected) => {
    const [item] = readFeedback(fixture(file));
    expect(item).toMatchObject({ kind: 'feedback', envelope });
    expect(decisionsFor(fixture(file))).toEqual([expect.objectContaining(expected)]);
  });

  it('reads an SQS body the way the queue delivers it: SNS envelope, or the raw SES message', () => {
    const sqsEvent = fixtureJson('derived/sqs-event-eventpub-complaint-abuse.json');
    const rawEvent = fixtureJson('derived/sqs-event-raw-eventpub-complaint-abuse.json');
    expect(readSqsBody(sqsEvent.Records[0].body)).toEqual([expect.objectContaining({ kind: 'feedback', envelope: 'sqs-sns' })]);
    expect(readSqsBody(rawEvent.Records[0].body)).toEqual([expect.objectContaining({ kind: 'feedback', envelope: 'sqs-raw' })]);
  });

  it('reads the real SES→SNS→Lambda capture and its real signed SNS envelopes', () => {
    expect(decisionsFor(fixture('lambda-sns-event-eventpub-send-simulator-real.json'))).toHaveLength(1);
    expect(decisionsFor(fixture('sns-envelope-notif-bounce-permanent-general-simulator-real-signed.json'))).toHaveLength(1);
  });

  it('normalises the non-ISO timestamps SES writes ("2018-10-08T14:05:45 +0000")', () => {
    const input = variant('eventpub-bounce-permanent-general.json', (m) => {
      m.bounce.timestamp = '2018-10-08T14:05:45 +0000';
    });
    expect(decisionsFor(input)[0]?.eventAt).toBe('2018-10-08T14:05:45.000Z');
  });

  // The canonical form is kept as it is without re-formatting (the hot path); every other form,
  // including ISO text that rolls over, must come out exactly as Date#toISOString writes it.
  it.each([
    ['canonical UTC, kept', '2016-01-27T14:59:38.237Z', '2016-01-27T14:59:38.237Z'],
    ['no milliseconds', '2016-01-27T14:59:38Z', '2016-01-27T14:59:38.000Z'],
    ['an offset', '2016-01-27T16:59:38.237+02:00', '2016-01-27T14:59:38.237Z'],
    ['hour 24 rolls over', '2019-02-28T24:00:00.000Z', '2019-03-01T00:00:00.000Z'],
    ['day 30 of February rolls over', '2019-02-30T10:00:00.000Z', '2019-03-02T10:00:00.000Z'],
  ])('normalises a timestamp: %s', (_, raw, expected) => {
    const input = variant('eventpub-bounce-permanent-general.json', (m) => {
      m.bounce.timestamp = raw;
    });
    expect(decisionsFor(input)[0]?.eventAt).toBe(expected);
  });
});

describe('readFeedback: messages that are not feedback', () => {
  it.each([
    ['the plain-text topic validation message', 'sns-envelope-eventpub-topic-validation-message.json'],
    ['AmazonSnsSubscriptionSucceeded (bare)', 'notif-amazonsnssubscriptionsucceeded.json'],
    ['AmazonSnsSubscriptionSucceeded (SNS envelope)', 'sns-envelope-notif-amazonsnssubscriptionsucceeded-real.json'],
    ['an SNS SubscriptionConfirmation (AWS docs)', 'sns-subscriptionconfirmation-awsdoc.json'],
    ['a real SNS SubscriptionConfirmation', 'sns-subscriptionconfirmation-real.json'],
    ['an SNS UnsubscribeConfirmation', 'sns-unsubscribeconfirmation-awsdoc.json'],
  ])('gives no decision and no error for %s', (_name, file) => {
    const items = readFeedback(fixture(file));
    expect(items).toEqual([expect.objectContaining({ kind: 'not-feedback' })]);
    expect(decisionsFor(fixture(file))).toEqual([]);
  });
});

describe('readFeedback: input it cannot read', () => {
  it.each([
    ['rejects text that is not JSON', 'this is not json', 'message is not JSON'],
    ['rejects truncated JSON', '{"eventType":"Bounce",', 'message is not valid JSON'],
    ['rejects a JSON array', '[1,2]', 'message is not JSON'],
    ['rejects a generic SNS notification whose Message is not SES JSON', fixture('sns-notification-generic-awsdoc.json'), 'message is not JSON'],
    ['rejects the AWS docs SQS test event ("Test message.")', fixture('lambda-sqs-event-generic-awsdoc.json'), 'message is not JSON'],
    ['rejects a JSON SNS message that is not SES', fixture('lambda-sqs-event-sns-envelope-generic-powertools-ts.json'), 'not an SES message'],
    ['rejects a bare SES fragment (bounce object alone)', fixture('fragments/fragment-notif-bounce-object-two-recipients.json'), 'not an SES message'],
    ['rejects a bounce without bouncedRecipients', variant('eventpub-bounce-permanent-general.json', (m) => delete m.bounce.bouncedRecipients),
      'not a valid SES message: bounce.bouncedRecipients'],
    ['rejects a bounce with an unknown bounceType', variant('eventpub-bounce-permanent-general.json', (m) => { m.bounce.bounceType = 'Soft'; }),
      'not a valid SES message: bounce.bounceType'],
    ['rejects a complaint with a bad timestamp', variant('eventpub-complaint-abuse.json', (m) => { m.complaint.timestamp = 'yesterday'; }),
      'not a valid SES message: complaint.timestamp'],
    ['rejects an SNS envelope of unknown Type', JSON.stringify({ Type: 'Surprise', TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: '{}' }),
      'SNS envelope has an unknown Type'],
  ])('%s', (_name, input, reason) => {
    expect(() => decisionsFor(input)).toThrow(MalformedMessageError);
    expect(() => decisionsFor(input)).toThrow(reason);
  });

  it('refuses a bounce whose detail and mail carry no time, when no envelope gives one either', () => {
    const input = variant('eventpub-bounce-permanent-general.json', (m) => {
      delete m.bounce.timestamp;
      delete m.mail.timestamp;
    });
    expect(() => decisionsFor(input)).toThrow('not a valid SES message: bounce.timestamp: missing, and neither mail.timestamp nor the envelope gives a time');
  });
});

describe('lambdaEventMessages: a captured Lambda event replays as what Lambda was given', () => {
  it.each([
    'derived/sqs-event-eventpub-bounce-permanent-general.json',
    'derived/sqs-event-raw-eventpub-bounce-permanent-general.json',
    'derived/lambda-sns-event-eventpub-bounce-permanent-general.json',
    'lambda-sns-event-notif-delivery-real.json',
  ])('unwraps %s into messages that, through SNS and SQS again, decide as the event itself', (name) => {
    const event = fixture(name);
    const messages = lambdaEventMessages(event);
    expect(messages).toHaveLength(fixtureJson<{ Records: unknown[] }>(name).Records.length);
    // What SNS delivers to the queue when the message is published again (not raw).
    const redelivered = (messages ?? []).flatMap((m) => readSqsBody(JSON.stringify({ Type: 'Notification', MessageId: 'x', Message: m })));
    const decided = (inputs: ReturnType<typeof readFeedback>) => inputs.map((i) => (i.kind === 'feedback' ? [i.message.eventType, i.message.mail.messageId] : i.why));
    expect(decided(redelivered)).toEqual(decided(readFeedback(event)));
  });

  it.each([
    ['an SNS envelope', () => fixture('derived/sns-envelope-eventpub-bounce-permanent-general.json')],
    ['a bare SES message', () => fixture('eventpub-bounce-permanent-general.json')],
    ['text', () => 'not JSON'],
    ['an empty Records', () => '{"Records": []}'],
    ['a record Lambda does not make', () => '{"Records": [{"eventSource": "aws:s3"}]}'],
  ])('leaves %s to be replayed as it is', (_name, line) => {
    expect(lambdaEventMessages(line())).toBeUndefined();
  });
});
