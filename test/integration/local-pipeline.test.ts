import { readFileSync, rmSync } from 'node:fs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { addressKey, FEEDBACK_TABLE } from '../../lambdas/shared/contract.js';
import type { AddressSuppressedDetail } from '../../lambdas/shared/events.js';
import { LocalPipeline } from '../../local/pipeline.js';
import { bounce, complaint, delivery, type MailFacts } from '../../local/ses-events.js';
import { fixture, snsEnvelope } from '../support/fixtures.js';

/**
 * The pipeline against real local services: SES messages published to the SNS topic (fauxqs),
 * delivered to the SQS queue, processed by the real Lambda entries in worker processes, written to
 * DynamoDB Local and, through the suppression writer, to the local SESv2 suppression list
 * (1 request/s, 429 above, as SES; import jobs read from fauxqs's S3).
 */
jest.setTimeout(300_000);

const facts = (n: number, extra: Partial<MailFacts> = {}): MailFacts => ({
  address: `reader${n}@stale.example.net`,
  messageId: `0100019a-${String(n).padStart(6, '0')}`,
  at: new Date(Date.UTC(2026, 10, 20, 10, 0, n)),
  configurationSet: 'marketing',
  campaign: 'black-friday',
  ...extra,
});

const DMARC_REFUSAL = "smtp; 550 5.7.26 Unauthenticated email from mail.example.com is not accepted due to domain's DMARC policy.";

async function eventsOf(pipeline: LocalPipeline, address: string) {
  const doc = DynamoDBDocumentClient.from(pipeline.dynamodb);
  const { Items = [] } = await doc.send(
    new QueryCommand({
      TableName: pipeline.resources.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
      ExpressionAttributeValues: { ':pk': addressKey(address), ':event': FEEDBACK_TABLE.keyPrefixes.event },
    }),
  );
  return Items;
}

describe('local pipeline: end to end and duplicates', () => {
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await LocalPipeline.start({ logDir: '.local/logs/e2e' });
    await pipeline.startWorker();
  });
  afterAll(() => pipeline?.stop());

  it('turns published SES messages into the right records, suppressions and dead letters', async () => {
    // Prepare
    const softFacts = (day: number) => facts(100, { messageId: `soft-${day}`, at: new Date(Date.UTC(2026, 10, day)) });
    const messages = [
      bounce(facts(1)),
      complaint(facts(2, { address: 'angry@example.org' })),
      complaint(facts(3, { address: 'fan@example.org' }), 'not-spam'),
      bounce(facts(4, { address: 'full@example.org' }), 'Transient', 'MailboxFull'),
      bounce(facts(6, { address: 'reader@bigmail.example.com' }), 'Transient', 'General', { status: '5.7.26', diagnosticCode: DMARC_REFUSAL }),
      delivery(facts(5, { address: 'happy@example.org', configurationSet: 'transactional', campaign: undefined })),
      ...[1, 2, 3, 4, 5].map((day) => bounce(softFacts(day), 'Transient', 'MailboxFull')),
      fixture('eventpub-bounce-permanent-general.json'), // AWS's documented example, as is
      'Successfully validated SNS topic for Amazon SES event publishing.',
      'this is not an SES message',
    ];
    // Act
    await pipeline.publish(messages);
    await pipeline.drain(120_000);
    // Assess: suppression list (read back from the SES endpoint)
    expect(Object.fromEntries([...pipeline.ses.list.values()].map((e) => [e.emailAddress, e.reason]))).toEqual({
      'reader1@stale.example.net': 'BOUNCE',
      'angry@example.org': 'COMPLAINT',
      'reader100@stale.example.net': 'BOUNCE', // 5 consecutive soft bounces
      'recipient@example.com': 'BOUNCE',
    });
    // one "Address Suppressed" event per address on the list, on the default bus
    const announced = pipeline.events.bus.detailsOf<AddressSuppressedDetail>('Address Suppressed');
    expect(Object.fromEntries(announced.map((d) => [d.address, d.reason]))).toEqual(Object.fromEntries([...pipeline.ses.list.values()].map((e) => [e.emailAddress, e.reason])));
    expect(announced).toHaveLength(4);
    // the audit trail
    expect(await eventsOf(pipeline, 'reader1@stale.example.net')).toEqual([
      expect.objectContaining({ action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce', configurationSet: 'marketing', campaign: 'black-friday', recipientDomain: 'stale.example.net' }),
    ]);
    expect(await eventsOf(pipeline, 'fan@example.org')).toEqual([expect.objectContaining({ action: 'record', rule: 'complaint-not-spam' })]);
    expect(await eventsOf(pipeline, 'full@example.org')).toEqual([expect.objectContaining({ action: 'count', rule: 'soft-bounce' })]);
    // a provider block: recorded with its DSN status and class, the reader not suppressed (the list above is exact)
    expect(await eventsOf(pipeline, 'reader@bigmail.example.com')).toEqual([
      expect.objectContaining({ action: 'record', rule: 'provider-block', detail: expect.objectContaining({ status: '5.7.26', diagnosticCode: DMARC_REFUSAL, dsnCode: '5.7.26', dsnClass: 'policy' }) }),
    ]);
    expect(await eventsOf(pipeline, 'reader100@stale.example.net')).toHaveLength(5);
    // the dead-letter queue holds exactly the malformed message, with its reason
    const dead = await pipeline.deadLetters();
    expect(dead.map((d) => d.reason)).toEqual(['message is not JSON']);
    expect(dead[0]?.body).toContain('this is not an SES message');
  });

  it('replays a file mixing every envelope classify reads, captured Lambda events included, without a dead letter', async () => {
    // Prepare: one hard bounce per envelope, as a user copies them from SES, SNS and the function's logs
    const ses = (n: number) => bounce(facts(2000 + n, { address: `envelope${n}@example.net` }));
    const snsOf = (text: string) => snsEnvelope(text, `b7f0c3d2-0000-4000-8000-00000000${String(text.length % 10_000).padStart(4, '0')}`);
    const lambdaSqs = (body: string) => JSON.stringify({ Records: [{ messageId: 'm-1', eventSource: 'aws:sqs', body, attributes: { SentTimestamp: '1795600000000' } }] });
    const lambdaSns = (text: string) => JSON.stringify({ Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', Sns: JSON.parse(snsOf(text)) }] });
    const lines = [ses(0), snsOf(ses(1)), lambdaSqs(snsOf(ses(2))), lambdaSqs(ses(3)), lambdaSns(ses(4))];
    const dlqBefore = (await pipeline.deadLetters()).length;
    // Act
    await pipeline.publish(lines.map((line) => JSON.stringify(JSON.parse(line)))); // one line each, as in a JSON-lines file
    await pipeline.drain(120_000);
    // Assess
    expect((await pipeline.deadLetters()).length).toBe(dlqBefore);
    for (let n = 0; n <= 4; n++) expect(pipeline.ses.list.get(`envelope${n}@example.net`)?.reason).toBe('BOUNCE');
  });

  it('makes one record per event and far fewer SES calls than copies when SNS delivers each event 1-8 times', async () => {
    // Prepare: 24 hard bounces, event i published 1 + (i mod 8) times, interleaved
    const events = Array.from({ length: 24 }, (_, i) => bounce(facts(1000 + i, { address: `dup${i}@example.net` })));
    const copies: string[] = [];
    for (let round = 0; round < 8; round++) events.forEach((event, i) => round <= i % 8 && copies.push(event)); // copies spread apart
    const dlqBefore = await pipeline.depth(pipeline.resources.deadLetterQueueUrl);
    // Act
    await pipeline.publish(copies);
    await pipeline.drain(150_000);
    // Assess
    let calls = 0;
    for (let i = 0; i < 24; i++) {
      const address = `dup${i}@example.net`;
      expect(await eventsOf(pipeline, address)).toHaveLength(1);
      expect(pipeline.ses.list.get(address)?.reason).toBe('BOUNCE');
      // The writer merges copies within a batch and skips what its ledger knows; its two pollers
      // may each hold a copy in windows that overlap, so an address can see a second (idempotent) call.
      const single = pipeline.ses.putCalls.get(address) ?? 0;
      expect(single).toBeLessThanOrEqual(2);
      calls += single;
    }
    expect(calls).toBeLessThan(copies.length / 2);
    const dlq = await pipeline.depth(pipeline.resources.deadLetterQueueUrl);
    expect(dlq.visible + dlq.inFlight).toBe(dlqBefore.visible + dlqBefore.inFlight); // nothing new in the DLQ
  });
});

describe('local pipeline: faults', () => {
  it('ends with exactly the expected suppression list and dead letters despite 30 % SES faults and a killed worker', async () => {
    rmSync('.local/logs/faults', { recursive: true, force: true });
    // Prepare: SES throttles 15 % and fails 15 % of the calls it would accept, on top of its rate
    // limit, and refuses the first import job with LimitExceededException, so at least one fault
    // lands whatever the dice do. One SDK attempt per call, so every fault reaches the handler and
    // must be retried through SQS; 10 receives (not 5) keep the chance that a record fails every
    // receive (0.3^10 per record) out of the way of what this test checks. Clock x60: each retry
    // waits out the writer's visibility timeout, 18 s here instead of 55 s at x20.
    const pipeline = await LocalPipeline.start({
      ses: { extraThrottleRate: 0.15, failureRate: 0.15, seed: 7 },
      sdkMaxAttempts: 1,
      maxReceiveCount: 10,
      timeCompression: 60,
      logDir: '.local/logs/faults',
    });
    try {
      pipeline.ses.refuseImportJobs(1);
      const hard = Array.from({ length: 30 }, (_, i) => facts(2000 + i, { address: `gone${i}@stale.example.net` }));
      const complaints = Array.from({ length: 6 }, (_, i) => facts(3000 + i, { address: `spam${i}@example.org` }));
      const malformed = ['{"eventType":"Bounce","mail":{}}', 'garbage', '{"notificationType":"Bounce"}'];
      await pipeline.publish([...hard.map((f) => bounce(f)), ...complaints.map((f) => complaint(f)), ...malformed]);
      // Act: kill the worker as a crashed Lambda would die, mid-batch, then start a new one
      await pipeline.startWorker();
      while (pipeline.ses.list.size < 1) await new Promise((r) => setTimeout(r, 50));
      pipeline.killWorker('process-feedback');
      pipeline.killWorker('write-suppressions');
      await pipeline.startWorker();
      await pipeline.drain(240_000);
      // Assess
      const expected = Object.fromEntries([...hard.map((f) => [f.address, 'BOUNCE']), ...complaints.map((f) => [f.address, 'COMPLAINT'])]);
      expect(Object.fromEntries([...pipeline.ses.list.values()].map((e) => [e.emailAddress, e.reason]))).toEqual(expected);
      // A worker killed after parking a record but before deleting it parks it again on redelivery
      // (at-least-once into a standard queue, as in AWS): compare distinct messages.
      const dead = await pipeline.deadLetters();
      const distinct = new Map(dead.map((d) => [(JSON.parse(d.body) as { Message: string }).Message, d.reason]));
      expect([...distinct.keys()].sort()).toEqual([...malformed].sort());
      expect([...distinct.values()].every((reason) => reason !== undefined)).toBe(true);
      const stats = pipeline.ses.getStats();
      const retried = ['process-feedback', 'write-suppressions']
        .map((fn) => (readFileSync(`.local/logs/faults/${fn}.log`, 'utf8').match(/left on the queue for retry/g) ?? []).length)
        .reduce((a, b) => a + b, 0);
      console.log(
        `faults: ${stats.throttled} throttled + ${stats.failed} failed + ${stats.limitExceeded} LimitExceeded SES calls injected, ${retried} messages retried through SQS, ` +
          `${pipeline.restarts} sandboxes ended (2 kills, each of every sandbox of a function); ${pipeline.ses.list.size}/${hard.length + complaints.length} suppressed; lost 0`,
      );
      // Faults landed (the refused import job at least), and each was retried through SQS.
      expect(stats.limitExceeded).toBe(1);
      expect(stats.throttled + stats.failed + stats.limitExceeded).toBeGreaterThan(0);
      expect(retried).toBeGreaterThan(0);
      expect(pipeline.restarts).toBeGreaterThanOrEqual(2);
    } finally {
      await pipeline.stop();
    }
  });
});
