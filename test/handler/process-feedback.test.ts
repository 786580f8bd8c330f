import { SuppressionRejectedError } from '../../lambdas/domain/index.js';
import { SimulatedCrash, throttled } from '../support/fakes.js';
import { fixture, snsEnvelope, variant } from '../support/fixtures.js';
import { createHarness, LEASE_SECONDS } from '../support/harness.js';
import { sqsRecord } from '../support/sqs.js';

const HARD_BOUNCE = snsEnvelope(fixture('eventpub-bounce-permanent-general.json'));
const COMPLAINT = snsEnvelope(fixture('eventpub-complaint-abuse.json'));
const OTHER_COMPLAINT = snsEnvelope(fixture('notif-complaint-abuse-with-feedback.json')); // richard@example.com
const ADDRESS = 'recipient@example.com';

/** A MailboxFull soft bounce for ADDRESS, as a distinct SES message sent on day `n`. */
const softBounce = (n: number): string =>
  snsEnvelope(
    variant('derived/eventpub-bounce-transient-mailboxfull.json', (m) => {
      m.mail.messageId = `soft-${n}`;
      m.bounce.timestamp = new Date(Date.UTC(2026, 10, n)).toISOString();
    }),
  );
const delivery = (n: number): string =>
  snsEnvelope(
    variant('eventpub-delivery.json', (m) => {
      m.mail.messageId = `delivered-${n}`;
      m.delivery.timestamp = new Date(Date.UTC(2026, 10, n)).toISOString();
    }),
  );

// The handler logs every record (stdout) and every retry (stderr); logging.test.ts checks them.
beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

describe('process-feedback handler: duplicates', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('makes one record and one SES call when SNS delivers a hard bounce %i times', async (copies) => {
    // Prepare
    const { store, ses, deadLetters, drain } = createHarness();
    // Act: copies spread over batches of 3, processed in parallel inside each batch
    const { redriven } = await drain(Array.from({ length: copies }, () => HARD_BOUNCE), 3);
    // Assess
    expect(store.events.size).toBe(1);
    expect(ses.callsFor(ADDRESS)).toBe(1);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
    expect(deadLetters.parked).toEqual([]);
    expect(redriven).toEqual([]);
  });

  it('counts a redelivered soft bounce once toward the threshold', async () => {
    const { store, ses, drain } = createHarness();
    await drain([softBounce(1), softBounce(1), softBounce(2), softBounce(2), softBounce(3), softBounce(4)]);
    expect(Object.keys(store.histories.get(ADDRESS)?.softBounces ?? {})).toHaveLength(4);
    expect(ses.calls).toEqual([]);
  });
});

describe('process-feedback handler: a crash between steps never loses a suppression', () => {
  it('suppresses on retry when the process died after the DynamoDB record, before the claim', async () => {
    const { store, ses, drain } = createHarness();
    store.crashOn('claimSuppression');
    await drain([HARD_BOUNCE]);
    expect(store.events.size).toBe(1);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
    expect(ses.callsFor(ADDRESS)).toBe(1);
  });

  it('suppresses on retry when the process died during the SES call, holding the claim', async () => {
    const { store, ses, drain } = createHarness();
    ses.failWith(new SimulatedCrash('PutSuppressedDestination'));
    store.crashOn('releaseSuppression'); // dead processes do not clean up
    await drain([HARD_BOUNCE]);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
    expect(store.suppression.get(ADDRESS)).toEqual({ suppressedReason: 'BOUNCE' });
  });

  it('suppresses on retry when the process died after SES accepted, before it was marked', async () => {
    const { store, ses, drain } = createHarness();
    store.crashOn('completeSuppression');
    await drain([HARD_BOUNCE]);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
    expect(store.suppression.get(ADDRESS)).toEqual({ suppressedReason: 'BOUNCE' });
    expect(ses.callsFor(ADDRESS)).toBe(2); // the repeat is PutSuppressedDestination's idempotent PUT
  });

  it('fails a record whose address is claimed by a live worker, and skips the call on retry', async () => {
    const { store, ses, clock, invoke } = createHarness();
    await store.claimSuppression(ADDRESS, 'BOUNCE', clock.now(), new Date(clock.now().getTime() + LEASE_SECONDS * 1000));
    const record = sqsRecord(HARD_BOUNCE);
    const first = await invoke(record);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    await store.completeSuppression(ADDRESS, 'BOUNCE');
    const retry = await invoke(sqsRecord(HARD_BOUNCE, 2, record.messageId));
    expect(retry.batchItemFailures).toEqual([]);
    expect(ses.calls).toEqual([]);
  });
});

describe('process-feedback handler: SES throttling', () => {
  it('leaves a throttled record for retry (no DLQ) and suppresses it on redelivery', async () => {
    const { ses, deadLetters, invoke, clock } = createHarness();
    ses.failWith(throttled());
    const record = sqsRecord(HARD_BOUNCE);
    const first = await invoke(record);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    // The claim was released, so the retry need not wait for the lease.
    clock.advanceSeconds(1);
    const retry = await invoke(sqsRecord(HARD_BOUNCE, 2, record.messageId));
    expect(retry.batchItemFailures).toEqual([]);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
    expect(deadLetters.parked).toEqual([]);
  });

  it('moves a record throttled on every receive to the queue DLQ after maxReceiveCount, never dropping it', async () => {
    const { ses, drain } = createHarness();
    ses.failWith(...Array.from({ length: 5 }, throttled));
    const { redriven } = await drain([HARD_BOUNCE]);
    expect(redriven).toEqual([HARD_BOUNCE]);
    expect(ses.list.size).toBe(0);
  });
});

describe('process-feedback handler: bad records', () => {
  it('parks a malformed record in the DLQ with its reason and processes its neighbours', async () => {
    // Prepare
    const { store, ses, deadLetters, invoke } = createHarness();
    const good1 = sqsRecord(HARD_BOUNCE);
    const bad = sqsRecord('{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"oops"}');
    const good2 = sqsRecord(OTHER_COMPLAINT);
    // Act
    const response = await invoke(good1, bad, good2);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.parked).toEqual([{ body: bad.body, reason: 'message is not JSON', sourceMessageId: bad.messageId }]);
    expect(store.events.size).toBe(2);
    expect(ses.calls).toHaveLength(2);
  });

  it('parks a record SES refuses (BadRequest) with the reason, addresses masked, and releases the claim', async () => {
    const { ses, store, deadLetters, invoke } = createHarness();
    ses.failWith(new SuppressionRejectedError('SES rejected PutSuppressedDestination (BadRequestException): Invalid address recipient@example.com'));
    const response = await invoke(sqsRecord(HARD_BOUNCE));
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.parked[0]?.reason).toBe('SES rejected PutSuppressedDestination (BadRequestException): Invalid address r***@example.com');
    expect(store.suppression.get(ADDRESS)).toEqual({ suppressedReason: undefined });
  });

  it('reports only the failing record when the store fails for one of three', async () => {
    const { store, invoke } = createHarness();
    store.failOn('putEvent');
    const records = [sqsRecord(HARD_BOUNCE), sqsRecord(OTHER_COMPLAINT), sqsRecord(snsEnvelope(fixture('notif-delivery.json')))];
    const response = await invoke(...records);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(store.events.size).toBe(2);
  });

  it('skips setup and subscription messages without a record, a failure or a DLQ entry', async () => {
    const { store, deadLetters, invoke } = createHarness();
    const response = await invoke(
      sqsRecord(fixture('sns-envelope-eventpub-topic-validation-message.json')),
      sqsRecord(fixture('sns-envelope-notif-amazonsnssubscriptionsucceeded-real.json')),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(store.events.size).toBe(0);
    expect(deadLetters.parked).toEqual([]);
  });
});

describe('process-feedback handler: soft-bounce escalation', () => {
  it('suppresses with reason BOUNCE at the 5th consecutive soft bounce', async () => {
    const { ses, drain } = createHarness();
    await drain([1, 2, 3, 4].map(softBounce));
    expect(ses.calls).toEqual([]);
    await drain([softBounce(5)]);
    expect(ses.calls).toEqual([{ address: ADDRESS, reason: 'BOUNCE' }]);
  });

  it('does not suppress when a delivery falls between the soft bounces', async () => {
    const { ses, drain } = createHarness();
    await drain([softBounce(1), softBounce(2), softBounce(3), delivery(4), softBounce(5), softBounce(6)]);
    expect(ses.calls).toEqual([]);
  });

  it('honours a soft-bounce threshold of 0 (escalation off)', async () => {
    const { ses, drain } = createHarness({ threshold: 0, windowInDays: 30 });
    await drain([1, 2, 3, 4, 5, 6, 7].map(softBounce));
    expect(ses.calls).toEqual([]);
  });
});

describe('process-feedback handler: suppression reasons', () => {
  it('sends a bounce and a complaint for one address in one batch to SES one at a time (the second retries)', async () => {
    const { ses, invoke } = createHarness();
    const response = await invoke(sqsRecord(HARD_BOUNCE), sqsRecord(COMPLAINT));
    expect(response.batchItemFailures).toHaveLength(1);
    expect(ses.calls).toHaveLength(1);
  });

  it('upgrades a BOUNCE suppression to COMPLAINT with one more call, never the reverse', async () => {
    const { ses, drain } = createHarness();
    await drain([HARD_BOUNCE, COMPLAINT, HARD_BOUNCE, COMPLAINT]);
    expect(ses.calls).toEqual([
      { address: ADDRESS, reason: 'BOUNCE' },
      { address: ADDRESS, reason: 'COMPLAINT' },
    ]);
  });
});
