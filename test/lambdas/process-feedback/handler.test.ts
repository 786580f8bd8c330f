import { SuppressionRejectedError } from '../../../lambdas/shared/errors.js';
import { throttled } from '../../support/fakes.js';
import { fixture, snsEnvelope, variant } from '../../support/fixtures.js';
import { createHarness } from '../../support/harness.js';
import { sqsRecord } from '../../support/sqs.js';

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
/**
 * A Transient/General bounce for ADDRESS on day `n` whose recipient carries `status` and
 * `diagnosticCode` (base derived/eventpub-bounce-transient-general.json, DSN fields added).
 */
const statusBounce = (status: string, diagnosticCode: string) => (n: number): string =>
  snsEnvelope(
    variant('derived/eventpub-bounce-transient-general.json', (m) => {
      m.mail.messageId = `status-${status}-${n}`;
      m.bounce.timestamp = new Date(Date.UTC(2026, 10, n)).toISOString();
      Object.assign(m.bounce.bouncedRecipients[0], { action: 'failed', status, diagnosticCode });
    }),
  );
const delivery = (n: number): string =>
  snsEnvelope(
    variant('eventpub-delivery.json', (m) => {
      m.mail.messageId = `delivered-${n}`;
      m.delivery.timestamp = new Date(Date.UTC(2026, 10, n)).toISOString();
    }),
  );

// The handlers log every record (stdout) and every retry (stderr); logging.test.ts checks them.
beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

describe('pipeline over fakes: duplicates', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('makes one record and one SES call when SNS delivers a hard bounce %i times', async (copies) => {
    // Prepare
    const { store, ses, deadLetters, drain } = createHarness();
    // Act: copies spread over batches of 3, processed in parallel inside each batch
    const { redriven, writerRedriven } = await drain(Array.from({ length: copies }, () => HARD_BOUNCE), 3);
    // Assess
    expect(store.events.size).toBe(1);
    expect(ses.callsFor(ADDRESS)).toBe(1);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
    expect(deadLetters.parked).toEqual([]);
    expect([...redriven, ...writerRedriven]).toEqual([]);
  });

  it('makes no SES call for a duplicate that arrives after the address is suppressed', async () => {
    const { ses, ledger, drain } = createHarness();
    await drain([HARD_BOUNCE]);
    await drain([HARD_BOUNCE, HARD_BOUNCE]);
    expect(ses.callsFor(ADDRESS)).toBe(1);
    expect(ledger.entries.get(ADDRESS)).toEqual({ reason: 'BOUNCE', via: 'put', jobId: undefined, suppressedAt: expect.any(String) });
  });

  it('counts a redelivered soft bounce once toward the threshold', async () => {
    const { store, ses, drain } = createHarness();
    await drain([softBounce(1), softBounce(1), softBounce(2), softBounce(2), softBounce(3), softBounce(4)]);
    expect(Object.keys(store.histories.get(ADDRESS)?.softBounces ?? {})).toHaveLength(4);
    expect(ses.calls).toEqual([]);
  });
});

describe('pipeline over fakes: a crash between steps never loses a suppression', () => {
  it('suppresses on retry when the hand-over to the writer failed after the DynamoDB record', async () => {
    const { store, ses, queues, drain } = createHarness();
    queues.failRequests();
    const { redriven } = await drain([HARD_BOUNCE]);
    expect(redriven).toEqual([]);
    expect(store.events.size).toBe(1);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
  });

  it('escalates on retry when the processor died after the 5th soft bounce was recorded, before its count', async () => {
    const { store, ses, drain } = createHarness();
    await drain([1, 2, 3, 4].map(softBounce));
    store.crashOn('addSoftBounce');
    await drain([softBounce(5)]);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
  });

  it('suppresses again, idempotently, when the writer died after SES accepted, before the ledger write', async () => {
    const { ses, ledger, drain } = createHarness();
    ledger.crashOnRecord();
    const { writerRedriven } = await drain([HARD_BOUNCE]);
    expect(writerRedriven).toEqual([]);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
    expect(ledger.entries.get(ADDRESS)?.reason).toBe('BOUNCE');
    expect(ses.callsFor(ADDRESS)).toBe(2); // the repeat is PutSuppressedDestination's idempotent PUT
  });

  it('settles an import job whose writer died before the ledger write, when the follow-up comes back', async () => {
    const { ses, ledger, imports, drain } = createHarness();
    ledger.crashOnRecord();
    await drain(distinctHardBounces(30));
    expect(ses.list.size).toBe(30);
    expect(ledger.entries.size).toBe(30);
    expect(imports.jobs.size).toBe(1);
  });
});

describe('pipeline over fakes: SES throttling', () => {
  it('leaves a throttled suppression on the writer queue (no DLQ) and suppresses it on redelivery', async () => {
    const { ses, deadLetters, drain } = createHarness();
    ses.failWith(throttled());
    const { writerRedriven } = await drain([HARD_BOUNCE]);
    expect(writerRedriven).toEqual([]);
    expect(ses.list.get(ADDRESS)).toBe('BOUNCE');
    expect(deadLetters.parked).toEqual([]);
  });

  it('parks a suppression throttled on every receive, on its last receive, with the reason (SQS would redrive it without one)', async () => {
    const { ses, deadLetters, drain } = createHarness();
    ses.failWith(...Array.from({ length: 5 }, throttled));
    const { writerRedriven } = await drain([HARD_BOUNCE]);
    expect(writerRedriven).toEqual([]);
    expect(deadLetters.parked).toHaveLength(1);
    expect(JSON.parse(deadLetters.parked[0]?.body ?? '{}')).toEqual({ type: 'suppress', entries: [{ address: ADDRESS, reason: 'BOUNCE' }], attempt: 1 });
    expect(deadLetters.parked[0]?.reason).toBe('failed on each of its 5 receives; the last time: SES failed part-way (throttled or unavailable) before these addresses');
    expect(ses.list.size).toBe(0);
  });

  it('stops calling SES after the first throttle in a batch and retries the rest', async () => {
    const { ses, invokeWriter } = createHarness();
    ses.failWith(throttled());
    const entries = ['a@example.com', 'b@example.com', 'c@example.com'].map((address) => ({ address, reason: 'BOUNCE' }));
    const record = sqsRecord(JSON.stringify({ type: 'suppress', entries, attempt: 1 }));
    const response = await invokeWriter(record);
    expect(ses.calls).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  });
});

describe('pipeline over fakes: bad records', () => {
  it('parks a malformed record in the DLQ with its reason and processes its neighbours', async () => {
    // Prepare
    const { store, ses, deadLetters, invoke, settle } = createHarness();
    const good1 = sqsRecord(HARD_BOUNCE);
    const bad = sqsRecord('{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"oops"}');
    const good2 = sqsRecord(OTHER_COMPLAINT);
    // Act
    const response = await invoke(good1, bad, good2);
    await settle();
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.parked).toEqual([{ body: bad.body, reason: 'message is not JSON', sourceMessageId: bad.messageId }]);
    expect(store.events.size).toBe(2);
    expect(ses.calls).toHaveLength(2);
  });

  it('parks a malformed writer message with its reason', async () => {
    const { deadLetters, invokeWriter } = createHarness();
    const record = sqsRecord('{"type":"suppress","entries":[{"address":"x@example.com","reason":"SPAM"}],"attempt":1}');
    const response = await invokeWriter(record);
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.parked[0]?.reason).toMatch(/^suppression message is not valid: entries\.0\.reason: /);
  });

  it('parks an address SES refuses (BadRequest) with the reason, addresses masked', async () => {
    const { ses, deadLetters, drain } = createHarness();
    ses.failWith(new SuppressionRejectedError('SES rejected PutSuppressedDestination (BadRequestException): Invalid address recipient@example.com'));
    const { writerRedriven } = await drain([HARD_BOUNCE]);
    expect(writerRedriven).toEqual([]);
    expect(deadLetters.parked).toHaveLength(1);
    expect(deadLetters.parked[0]?.reason).toBe('1 address(es) not suppressed (r***@example.com): SES rejected PutSuppressedDestination (BadRequestException): Invalid address r***@example.com');
    expect(JSON.parse(deadLetters.parked[0]?.body ?? '{}').entries).toEqual([{ address: ADDRESS, reason: 'BOUNCE' }]);
  });

  it('reports only the failing record when the store fails for one of three', async () => {
    const { store, invoke } = createHarness();
    store.failOn('putEvent');
    const records = [sqsRecord(HARD_BOUNCE), sqsRecord(OTHER_COMPLAINT), sqsRecord(snsEnvelope(fixture('notif-delivery.json')))];
    const response = await invoke(...records);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(store.events.size).toBe(2);
  });

  it('does not hand over the addresses of a record that failed', async () => {
    const { store, queues, invoke } = createHarness();
    store.failOn('putEvent');
    const failing = sqsRecord(HARD_BOUNCE);
    const response = await invoke(failing, sqsRecord(OTHER_COMPLAINT));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.messageId }]);
    expect(queues.requests.map(({ body }) => JSON.parse(body).entries)).toEqual([[{ address: 'richard@example.com', reason: 'COMPLAINT' }]]);
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

describe('pipeline over fakes: soft-bounce escalation', () => {
  it('does not suppress when a delivery falls between the soft bounces', async () => {
    const { ses, drain } = createHarness();
    await drain([softBounce(1), softBounce(2), softBounce(3), delivery(4), softBounce(5), softBounce(6)]);
    expect(ses.calls).toEqual([]);
  });

  it.each([
    ['MailboxFull without a DSN', softBounce],
    ['status 5.2.2 (mailbox full)', statusBounce('5.2.2', 'smtp; 552-5.2.2 The email account that you tried to reach is over quota.')],
    ['status 5.0.0', statusBounce('5.0.0', 'smtp; 550 5.0.0 Requested action not taken')],
  ])('suppresses with reason BOUNCE at the 5th consecutive soft bounce within 30 days: %s', async (_status, bounceOnDay) => {
    const { ses, drain } = createHarness();
    await drain([1, 8, 15, 22].map(bounceOnDay));
    expect(ses.calls).toEqual([]);
    await drain([bounceOnDay(29)]);
    expect(ses.calls).toEqual([{ address: ADDRESS, reason: 'BOUNCE' }]);
  });

  it('never suppresses for provider blocks (5.7.x), however many', async () => {
    const { ses, store, drain } = createHarness();
    const block = statusBounce('5.7.1', 'smtp; 550-5.7.1 [203.0.113.7 12] Our system has detected that this message is likely unsolicited mail.');
    await drain([1, 2, 3, 4, 5, 6, 7].map(block));
    expect(store.events.size).toBe(7);
    expect([...store.events.values()].every((e) => e.action === 'record' && e.rule === 'provider-block')).toBe(true);
    expect(store.histories.get(ADDRESS)).toBeUndefined();
    expect(ses.calls).toEqual([]);
  });

  it('honours a soft-bounce threshold of 0 (escalation off)', async () => {
    const { ses, drain } = createHarness({ policy: { threshold: 0, windowInDays: 30 } });
    await drain([1, 2, 3, 4, 5, 6, 7].map(softBounce));
    expect(ses.calls).toEqual([]);
  });
});

describe('pipeline over fakes: suppression reasons', () => {
  it('sends a bounce and a complaint for one address in one window as one COMPLAINT call', async () => {
    const { ses, drain } = createHarness();
    await drain([HARD_BOUNCE, COMPLAINT]);
    expect(ses.calls).toEqual([{ address: ADDRESS, reason: 'COMPLAINT' }]);
  });

  it('upgrades a BOUNCE suppression to COMPLAINT with one more call, never the reverse', async () => {
    const { ses, drain } = createHarness();
    await drain([HARD_BOUNCE]);
    await drain([COMPLAINT]);
    await drain([HARD_BOUNCE]);
    await drain([COMPLAINT]);
    expect(ses.calls).toEqual([
      { address: ADDRESS, reason: 'BOUNCE' },
      { address: ADDRESS, reason: 'COMPLAINT' },
    ]);
  });
});

describe('pipeline over fakes: floods become import jobs', () => {
  it('suppresses 24 new addresses with single calls and 25 with one import job (the threshold)', async () => {
    const below = createHarness();
    await below.drain(distinctHardBounces(24));
    expect(below.ses.calls).toHaveLength(24);
    expect(below.imports.jobs.size).toBe(0);

    const at = createHarness();
    await at.drain(distinctHardBounces(25));
    expect(at.ses.calls).toHaveLength(0);
    expect(at.imports.jobs.size).toBe(1);
    expect(at.ses.list.size).toBe(25);
    expect([...at.ledger.entries.values()].every((e) => e.via === 'import' && e.jobId === 'job-1')).toBe(true);
  });

  it('counts only addresses not yet suppressed toward the threshold', async () => {
    const { ses, imports, drain } = createHarness();
    await drain(distinctHardBounces(20));
    await drain(distinctHardBounces(30)); // 20 known, 10 new
    expect(imports.jobs.size).toBe(0);
    expect(ses.calls).toHaveLength(30);
  });

  it('looks at a running job again with doubling delays until it completes', async () => {
    const { imports, queues, drain } = createHarness();
    imports.runningPolls = 3;
    const delays: number[] = [];
    const original = queues.followImport.bind(queues);
    queues.followImport = async (job, attempt, polls, delaySeconds) => {
      delays.push(delaySeconds);
      return original(job, attempt, polls, delaySeconds);
    };
    await drain(distinctHardBounces(40));
    expect(delays).toEqual([10, 20, 40, 80]);
    expect(imports.statusCalls).toBe(4);
  });

  it('retries the rows SES refused in a job, and parks what SES refuses again in the DLQ, never dropping them', async () => {
    const { ses, imports, deadLetters, drain } = createHarness({ maxAttempts: 2 });
    imports.refuse.add('hard3@example.net');
    ses.failWith(new SuppressionRejectedError('SES rejected PutSuppressedDestination (BadRequestException): invalid address'));
    await drain(distinctHardBounces(30));
    expect(ses.list.size).toBe(29);
    // attempt 1: the job; attempt 2: a single call (one row is below the threshold), refused again
    expect(ses.calls).toEqual([{ address: 'hard3@example.net', reason: 'BOUNCE' }]);
    expect(deadLetters.parked).toHaveLength(1);
    expect(JSON.parse(deadLetters.parked[0]?.body ?? '{}')).toEqual({ type: 'suppress', entries: [{ address: 'hard3@example.net', reason: 'BOUNCE' }], attempt: 2 });
  });

  it('parks refused rows once their attempts are used up', async () => {
    const { imports, deadLetters, drain } = createHarness({ maxAttempts: 1 });
    imports.refuse.add('hard3@example.net');
    await drain(distinctHardBounces(30));
    expect(deadLetters.parked).toHaveLength(1);
    expect(deadLetters.parked[0]?.reason).toMatch(/^1 address\(es\) not suppressed \(h\*\*\*@example\.net\): row refused in import job job-1/);
    expect(JSON.parse(deadLetters.parked[0]?.body ?? '{}').entries).toEqual([{ address: 'hard3@example.net', reason: 'BOUNCE' }]);
  });

  it('runs a failed job again with the same rows', async () => {
    const { ses, imports, deadLetters, drain } = createHarness();
    imports.failJobs(1);
    await drain(distinctHardBounces(30));
    expect(imports.jobs.size).toBe(2);
    expect(ses.list.size).toBe(30);
    expect(deadLetters.parked).toEqual([]);
  });
});

/** `count` hard bounces to hard0@ … hard{count-1}@example.net, one SES message each. */
function distinctHardBounces(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    snsEnvelope(
      variant('eventpub-bounce-permanent-general.json', (m) => {
        m.mail.messageId = `flood-${i}`;
        m.mail.destination = [`hard${i}@example.net`];
        m.bounce.bouncedRecipients[0].emailAddress = `hard${i}@example.net`;
      }),
    ),
  );
}

describe('pipeline over fakes: "Address Suppressed" announcements', () => {
  it('announces each address SES accepted exactly as suppressed, by single call and by import job, never one it skipped', async () => {
    const single = createHarness();
    await single.drain([HARD_BOUNCE, COMPLAINT, HARD_BOUNCE]);
    expect(single.announcements.announced).toEqual([{ address: ADDRESS, reason: 'COMPLAINT', via: 'put' }]);
    await single.drain([HARD_BOUNCE]); // already on the list: no call, no announcement
    expect(single.announcements.announced).toHaveLength(1);

    const flood = createHarness();
    flood.imports.refuse.add('hard3@example.net');
    await flood.drain(distinctHardBounces(30));
    const announced = flood.announcements.announced;
    expect(new Set(announced.map((a) => a.address))).toEqual(new Set([...flood.ses.list.keys()]));
    expect(announced.filter((a) => a.via === 'import')).toHaveLength(29); // the refused row went by a single call on its retry
    expect(announced).toHaveLength(30);
  });

  it('loses no announcement when EventBridge fails: the message comes back, SES is asked again, the event goes out', async () => {
    const { ses, ledger, announcements, drain } = createHarness();
    announcements.failNext(1);
    await drain([HARD_BOUNCE]);
    expect(announcements.announced).toEqual([{ address: ADDRESS, reason: 'BOUNCE', via: 'put' }]);
    expect(ses.calls).toHaveLength(2); // SES accepted it twice (idempotent); the ledger only once announced
    expect(ledger.entries.get(ADDRESS)?.via).toBe('put');
  });
});
