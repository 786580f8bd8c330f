import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { FeedbackMetrics } from '../../../lambdas/process-feedback/adapters/feedback-metrics.js';
import { PIPELINE_METRICS } from '../../../lambdas/shared/contract.js';
import { FeedbackProcessor } from '../../../lambdas/process-feedback/feedback-processor.js';
import { RecordRefusedError } from '../../../lambdas/shared/errors.js';
import { type FeedbackRecord } from '../../../lambdas/process-feedback/feedback-record.js';
import { createProcessFeedbackHandler } from '../../../lambdas/process-feedback/handler.js';
import { captureLogs } from '../../support/capture-logs.js';
import { FakeDeadLetters, InMemoryFeedbackStore, InMemorySuppressionQueues, type FailedRecordsLayout } from '../../support/fakes.js';
import { fixture, snsEnvelope, variant } from '../../support/fixtures.js';
import { createHarness, MAX_RECEIVE_COUNT } from '../../support/harness.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../../support/sqs.js';

/**
 * What hostile or merely unusual input does to the pipeline, over both real handlers and fakes of
 * every port: each recipient is decided or parked with a reason naming it (masked), nothing is
 * dropped, and "suppressed" is only what SES accepted.
 */

// The handlers log every batch (stdout) and every retry (stderr).
beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

/** A Permanent/General bounce (AWS's documentation example) to these recipients. */
const bounceTo = (recipients: string[], messageId = 'hostile-1'): string =>
  snsEnvelope(
    variant('eventpub-bounce-permanent-general.json', (m) => {
      m.mail.messageId = messageId;
      m.mail.destination = recipients;
      m.bounce.bouncedRecipients = recipients.map((emailAddress) => ({ emailAddress, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }));
    }),
  );

/** A MailboxFull soft bounce for `address` on day `n` (derived AWS example). */
const softBounce = (address: string, n: number): string =>
  snsEnvelope(
    variant('derived/eventpub-bounce-transient-mailboxfull.json', (m) => {
      m.mail.messageId = `soft-${n}`;
      m.bounce.timestamp = new Date(Date.UTC(2026, 10, n)).toISOString();
      m.bounce.bouncedRecipients[0].emailAddress = address;
    }),
  );

/** `count` hard bounces to `local{i}@domain`, one SES message each. */
const hardBounces = (count: number, address: (i: number) => string): string[] =>
  Array.from({ length: count }, (_, i) => bounceTo([address(i)], `flood-${i}`));

describe('one recipient SES would refuse parks only itself', () => {
  it('suppresses the readable recipient of a bounce and parks "john doe"@example.com, named masked, by position', async () => {
    const { store, ses, deadLetters, drain } = createHarness();
    await drain([bounceTo(['good@example.com', '"john doe"@example.com'])]);
    expect(ses.list.get('good@example.com')).toBe('BOUNCE');
    expect([...store.events.values()].map((r) => r.address)).toEqual(['good@example.com']);
    expect(deadLetters.parked).toHaveLength(1);
    expect(deadLetters.parked[0]?.reason).toBe(
      '1 recipient(s) parked, the others applied: Bounce recipient 2 of 2 (***@example.com): SES would refuse this address: quoted local part (SES takes dot-atom local parts only)',
    );
    expect(deadLetters.parked[0]?.body).toBe(bounceTo(['good@example.com', '"john doe"@example.com']));
  });

  it('parks the recipients no mail server would accept and decides none of them', async () => {
    const hostile = ['foo@bar', 'a@b@example.com', '<script>@example.com', 'a@example.com,b@example.com', 'http://user@example.com/path', 'jane\u200b@example.com', 'bounce@simulator.amazonses.com.'];
    const { store, ses, deadLetters, drain } = createHarness();
    await drain([bounceTo(hostile)]);
    expect(store.events.size).toBe(0);
    expect(ses.calls).toEqual([]);
    expect(deadLetters.parked).toHaveLength(1);
    expect(deadLetters.parked[0]?.reason).toMatch(/^7 recipient\(s\) parked, the others applied: Bounce recipient 1 of 7 \(f\*\*\*@bar\): SES would refuse this address: domain has no dot; .*; and 4 more$/);
  });

  it('parks an empty recipient address alone (a shrunk counterexample of the property suite)', async () => {
    const { ses, deadLetters, drain } = createHarness();
    await drain([bounceTo(['" "@a.aa', '', 'a@a.aa'])]);
    expect(ses.list.get('a@a.aa')).toBe('BOUNCE');
    expect(deadLetters.parked[0]?.reason).toMatch(/^2 recipient\(s\) parked, the others applied: .*Bounce recipient 2 of 3 \(\*\*\*\): SES would refuse this address: empty$/);
  });

  it('still lets a Delivery that lists one unreadable recipient reset the others\' soft-bounce count', async () => {
    const { ses, deadLetters, drain } = createHarness({ policy: { threshold: 5, windowInDays: 30 } });
    const delivery = snsEnvelope(
      variant('eventpub-delivery.json', (m) => {
        m.mail.messageId = 'delivered-5';
        m.delivery.timestamp = new Date(Date.UTC(2026, 10, 5)).toISOString();
        m.delivery.recipients = ['reader@example.com', 'not an address'];
      }),
    );
    await drain([1, 2, 3, 4].map((n) => softBounce('reader@example.com', n)));
    await drain([delivery]);
    await drain([softBounce('reader@example.com', 6)]);
    expect(ses.list.has('reader@example.com')).toBe(false);
    expect(deadLetters.parked.map((p) => p.reason)).toEqual([
      '1 recipient(s) parked, the others applied: Delivery recipient 2 of 2 (***): SES would refuse this address: not an email address (no local part and domain around an at sign)',
    ]);
  });

  it('decides the first 50 recipients of a message that lists 5,400 (SES sends to 50) and parks the rest in one message', async () => {
    const recipients = Array.from({ length: 5400 }, (_, i) => `r${i}@example.com`);
    const { store, deadLetters, drain } = createHarness();
    await drain([bounceTo(recipients)]);
    expect(store.events.size).toBe(50);
    expect(deadLetters.parked).toHaveLength(1);
    expect(deadLetters.parked[0]?.reason).toMatch(/^5350 recipient\(s\) parked, the others applied: Bounce recipient 51 of 5400 \(r\*\*\*@example\.com\): beyond the 50 recipients SES sends one message to; .*; and 5347 more$/);
  });
});

describe('the audit trail refusing a record for good', () => {
  it('parks the recipient with the store\'s reason and still requests its suppression', async () => {
    const store = new InMemoryFeedbackStore();
    const queues = new InMemorySuppressionQueues();
    const deadLetters = new FakeDeadLetters();
    store.putEvent = async (record: FeedbackRecord) => {
      if (record.address === 'huge@example.com') throw new RecordRefusedError('DynamoDB refused the audit record for good (ValidationException: Item size has exceeded the maximum allowed size)');
      return 'new';
    };
    const handler = createProcessFeedbackHandler({
      processor: new FeedbackProcessor({ store, softBouncePolicy: { threshold: 5, windowInDays: 30 }, campaignTagName: 'campaign' }),
      suppressions: queues,
      deadLetters,
      logger: new Logger({ serviceName: PIPELINE_METRICS.serviceName }),
      metrics: new FeedbackMetrics(new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.serviceName })),
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    const response = await handler(sqsEvent(sqsRecord(bounceTo(['huge@example.com', 'fine@example.com']))), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(JSON.parse(queues.requests[0]?.body ?? '{}').entries).toEqual([
      { address: 'huge@example.com', reason: 'BOUNCE' },
      { address: 'fine@example.com', reason: 'BOUNCE' },
    ]);
    expect(deadLetters.parked.map((p) => p.reason)).toEqual([
      '1 recipient(s) parked, the others applied: Bounce recipient h***@example.com: DynamoDB refused the audit record for good (ValidationException: Item size has exceeded the maximum allowed size)',
    ]);
  });
});

describe('nothing is dropped in silence', () => {
  it.each([
    ['a Lambda SQS event with no records', JSON.stringify({ Records: [] }), 'Records is empty: the event holds no message'],
    [
      'a bounce whose notificationType says AmazonSnsSubscriptionSucceeded',
      variant('notif-bounce-permanent-general-with-dsn.json', (m) => {
        m.notificationType = 'AmazonSnsSubscriptionSucceeded';
      }),
      'notificationType AmazonSnsSubscriptionSucceeded carries a bounce object: not a subscription notice',
    ],
    [
      'an SNS SubscriptionConfirmation wrapping a bounce',
      variant('sns-subscriptionconfirmation-awsdoc.json', (m) => {
        m.Message = fixture('eventpub-bounce-permanent-general.json');
      }),
      'SNS SubscriptionConfirmation wraps an SES message: not a subscription message',
    ],
  ])('parks %s with its reason', async (_name, body, reason) => {
    const { deadLetters, drain } = createHarness();
    await drain([body]);
    expect(deadLetters.parked.map((p) => p.reason)).toEqual([reason]);
  });

  it('counts what is deliberately not feedback in the NotFeedback metric', async () => {
    const { drain } = createHarness();
    const lines = await captureLogs(() => drain([fixture('sns-subscriptionconfirmation-awsdoc.json'), fixture('sns-envelope-eventpub-topic-validation-message.json')]));
    const emf = lines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf.map((doc) => doc[PIPELINE_METRICS.names.notFeedback])).toEqual([2]);
  });
});

describe('import jobs: "suppressed" is only what SES accepted', () => {
  // Valid addresses that an address regex over the failed-records file misreads (local-part symbols, Punycode).
  const refusedBySes = ['a!#$&*/=?^{|}~b@example.net', 'jane@xn--mller-kva.example'];
  const flood = (): string[] => [...hardBounces(30, (i) => `hard${i}@example.net`), ...refusedBySes.map((a, i) => bounceTo([a], `odd-${i}`))];

  it.each<FailedRecordsLayout>(['json-lines', 'csv'])(
    'retries and then parks exactly the rows SES refused (failed-records file as %s), announcing and recording only the others',
    async (layout) => {
      const { imports, ledger, announcements, deadLetters, drain } = createHarness({ maxAttempts: 1 });
      imports.layout = layout;
      for (const a of refusedBySes) imports.refuse.add(a);
      await drain(flood());
      expect(ledger.entries.size).toBe(30);
      for (const a of refusedBySes) {
        expect(ledger.entries.has(a)).toBe(false);
        expect(announcements.announced.some((e) => e.address === a)).toBe(false);
      }
      expect(deadLetters.parked.flatMap((p) => JSON.parse(p.body).entries.map((e: { address: string }) => e.address)).sort()).toEqual([...refusedBySes].sort());
    },
  );

  it('treats a failed-records file that names none of the submitted rows as an unknown outcome: nothing announced, all retried, then parked', async () => {
    const { imports, ledger, announcements, deadLetters, drain } = createHarness({ maxAttempts: 2 });
    imports.layout = 'addresses-only';
    for (const a of refusedBySes) imports.refuse.add(a);
    await drain(flood());
    expect(imports.jobs.size).toBe(2);
    expect(ledger.entries.size).toBe(0);
    expect(announcements.announced).toEqual([]);
    const parked = deadLetters.parked.flatMap((p) => JSON.parse(p.body).entries as Array<{ address: string }>);
    expect(parked).toHaveLength(32);
    expect(deadLetters.parked[0]?.reason).toMatch(/: outcome of import job job-2 unknown: SES counted 2 failed rows, and its failed-records file names 0 of the rows submitted$/);
  });

  it('gives up on a job still running after maxLooks looks: its rows are retried as a new job, then parked with the reason', async () => {
    const { imports, ledger, deadLetters, drain } = createHarness({ maxAttempts: 2, maxLooks: 4 });
    imports.runningPolls = Number.POSITIVE_INFINITY;
    await drain(hardBounces(30, (i) => `hard${i}@example.net`));
    expect(imports.jobs.size).toBe(2);
    expect(imports.statusCalls).toBe(8);
    expect(ledger.entries.size).toBe(0);
    expect(deadLetters.parked.map((p) => p.reason)).toEqual(['30 address(es) not suppressed (h***@example.net, h***@example.net, h***@example.net, h***@example.net, h***@example.net and 25 more): import job job-2 still running after 4 looks']);
  });

  it('names an import job in its log lines by SES\'s id once recorded, and by its file before: never by an empty id', async () => {
    const { imports, drain } = createHarness({ maxLooks: 4 });
    imports.runningPolls = 1;
    const lines = (await captureLogs(() => drain(hardBounces(30, (i) => `hard${i}@example.net`)))).map((l) => JSON.parse(l) as Record<string, unknown>);
    const about = (message: string): Array<Record<string, unknown>> => lines.filter((l) => l.message === message);
    expect(about('import job still running').map((l) => l.jobId)).toEqual(['job-1']);
    expect(about('import job settled').map((l) => l.jobId)).toEqual(['job-1']);
    expect(lines.filter((l) => 'jobId' in l && l.jobId === '')).toEqual([]);
  });

  it('parks a large job that fails on every attempt in messages under SQS\'s 256 KB, each naming its addresses', async () => {
    // 1,000 addresses of 254 characters: ~270 KB of addresses in all.
    const long = (i: number): string => `${'l'.repeat(60)}${String(i).padStart(4, '0')}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(57)}.com`;
    expect(long(1)).toHaveLength(254);
    const { imports, deadLetters, drain } = createHarness({ maxAttempts: 1 });
    imports.failJobs(1);
    const bounces = Array.from({ length: 100 }, (_, m) => bounceTo(Array.from({ length: 10 }, (_, r) => long(m * 10 + r)), `long-${m}`));
    await drain(bounces);
    const bodies = deadLetters.parked.map((p) => p.body);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThan(256 * 1024);
    expect(bodies.flatMap((b) => JSON.parse(b).entries as unknown[])).toHaveLength(1000);
    for (const p of deadLetters.parked) expect(p.reason).toMatch(/^\d+ address\(es\) not suppressed \(l\*\*\*@d+\.e+\.f+\.com, .* more\): import job job-1 failed: Access denied to the data source$/);
  });

  it('rejects the rows of an import job SES refuses for good (sandbox) at once, with SES\'s reason', async () => {
    const { imports, deadLetters, drain } = createHarness();
    imports.refuseJobs(1, 'SES rejected CreateImportJob (BadRequestException): account is in the sandbox');
    await drain(hardBounces(30, (i) => `hard${i}@example.net`));
    expect(deadLetters.parked).toHaveLength(1);
    expect(deadLetters.parked[0]?.reason).toMatch(/^30 address\(es\) not suppressed \(.* and 25 more\): SES rejected CreateImportJob \(BadRequestException\): account is in the sandbox$/);
  });
});

describe('complete messages are not refused over fields the decision does not need', () => {
  it('takes a bounce without mail.timestamp, timing it by the bounce, and a complaint without a mail object, identified by its feedbackId', async () => {
    const { store, ses, deadLetters, drain } = createHarness();
    const noMailTimestamp = snsEnvelope(variant('eventpub-bounce-permanent-general.json', (m) => delete m.mail.timestamp));
    const noMail = snsEnvelope(variant('eventpub-complaint-abuse.json', (m) => delete m.mail));
    await drain([noMailTimestamp, noMail]);
    expect(deadLetters.parked).toEqual([]);
    expect(ses.list.get('recipient@example.com')).toBe('COMPLAINT');
    const records = [...store.events.values()];
    expect(records.map((r) => [r.eventType, r.messageId, r.derived])).toEqual([
      ['Bounce', 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000', ['mail.timestamp from the SNS envelope']],
      ['Complaint', 'feedbackId:01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000', ['mail.timestamp from the SNS envelope', 'mail.messageId from feedbackId']],
    ]);
  });
});
