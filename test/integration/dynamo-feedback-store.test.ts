import { GetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoFeedbackStore } from '../../lambdas/process-feedback/adapters/dynamo-feedback-store.js';
import { DynamoSoftBounceEscalations } from '../../lambdas/write-suppressions/adapters/dynamo-soft-bounce-escalations.js';
import { DynamoSuppressionLedger } from '../../lambdas/write-suppressions/adapters/dynamo-suppression-ledger.js';
import { DynamoWriterLease } from '../../lambdas/write-suppressions/adapters/dynamo-writer-lease.js';
import { AuditTrail } from '../../cli/audit-trail.js';
import { type IndexedEvent } from '../../cli/audit-events.js';
import { addressKey, eventSortKey, FEEDBACK_TABLE } from '../../lambdas/shared/contract.js';
import { classify, mailContext } from '../../lambdas/process-feedback/classify.js';
import { eventKeyOf, toFeedbackRecord, type FeedbackRecord } from '../../lambdas/process-feedback/feedback-record.js';
import { readFeedback } from '../../lambdas/process-feedback/envelope.js';
import { fixture } from '../support/fixtures.js';
import { freshFeedbackTable, localDynamoDb } from '../support/local-aws.js';

const POLICY = { threshold: 5, windowInDays: 30 };
const NOW = new Date('2026-11-23T09:00:00.000Z');

function recordOf(file: string): FeedbackRecord {
  const [item] = readFeedback(fixture(file));
  if (item?.kind !== 'feedback') throw new Error(`${file} is not feedback`);
  const [decision] = classify(item.message).decisions;
  if (!decision) throw new Error(`${file} has no decision`);
  return toFeedbackRecord(decision, mailContext(item.message, 'campaign'), item.message.format, NOW);
}

let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let tableName: string;
let store: DynamoFeedbackStore;

beforeAll(() => {
  client = localDynamoDb();
  doc = DynamoDBDocumentClient.from(client);
});
afterAll(() => client.destroy());
beforeEach(async () => {
  tableName = await freshFeedbackTable(client);
  store = new DynamoFeedbackStore({ client, tableName, eventRetentionInDays: 365 });
});

describe('DynamoFeedbackStore on DynamoDB Local', () => {
  it('writes an event once: the second put of the same event is a duplicate', async () => {
    const record = recordOf('eventpub-bounce-permanent-general.json');
    expect(await store.putEvent(record)).toBe('new');
    expect(await store.putEvent({ ...record, recordedAt: new Date(NOW.getTime() + 5000).toISOString() })).toBe('duplicate');
    const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: addressKey('recipient@example.com'), sk: eventSortKey(record.eventKey) } }));
    expect(Item).toMatchObject({ action: 'suppress', reason: 'BOUNCE', rule: 'permanent-bounce', recordedAt: NOW.toISOString(), configurationSet: 'ConfigSet' });
  });

  it('writes the events of one batch together and still tells each new event from each duplicate', async () => {
    const base = recordOf('eventpub-bounce-permanent-general.json');
    const records = Array.from({ length: 60 }, (_, i) => ({ ...base, address: `r${i}@example.com`, eventKey: `${base.eventKey}#${i}` }));
    await store.putEvent(records[7]!); // already recorded before the batch
    const outcomes = await Promise.all([...records, records[3]!].map((r) => store.putEvent(r))); // 61 at once: 3 requests of up to 25
    expect(outcomes.filter((o) => o === 'duplicate').length).toBe(2);
    expect(outcomes[7]).toBe('duplicate');
    expect([outcomes[3], outcomes[60]].sort()).toEqual(['duplicate', 'new']); // the same event twice in one batch: recorded once
    const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: addressKey('r59@example.com'), sk: eventSortKey(`${base.eventKey}#59`) } }));
    expect(Item).toMatchObject({ address: 'r59@example.com', rule: 'permanent-bounce', dayShard: expect.stringMatching(/^DAY#2017-08-05#[0-7]$/) });
  });

  it('writes a record whose message overruns DynamoDB\'s limits, bounded: a 410 KB diagnostic, an empty tag key, a 2,000-byte message ID', async () => {
    const base = recordOf('eventpub-bounce-permanent-general.json');
    const hostile: FeedbackRecord = {
      ...base,
      address: 'big@example.com',
      messageId: 'm'.repeat(2000),
      eventKey: eventKeyOf({ eventAt: base.eventAt, eventType: base.eventType, messageId: 'm'.repeat(2000) }),
      detail: { ...base.detail, diagnosticCode: 'x'.repeat(410 * 1024) },
      context: { ...base.context, tags: { ...base.context.tags, '': ['empty key'] }, subject: 's'.repeat(300 * 1024) },
    };
    const [ok, big] = await Promise.allSettled([store.putEvent(base), store.putEvent(hostile)]);
    expect(ok).toEqual({ status: 'fulfilled', value: 'new' });
    expect(big).toEqual({ status: 'fulfilled', value: 'new' });
    expect(hostile.eventKey).toMatch(/^2017-08-05T00:41:02\.669Z#Bounce#sha256:[0-9a-f]{64}$/);
    const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: addressKey('big@example.com'), sk: eventSortKey(hostile.eventKey) } }));
    expect(Item?.detail.diagnosticCode).toMatch(/^x{1000}…\[418840 more characters\]$/);
    expect(Object.keys(Item?.tags ?? {})).not.toContain('');
    expect(await store.putEvent(hostile)).toBe('duplicate');
  });

  it('refuses for good, with a one-line reason, a record DynamoDB will never take, and writes the rest of its batch', async () => {
    const base = recordOf('eventpub-bounce-permanent-general.json');
    const keyTooLong = { ...base, address: `${'k'.repeat(2100)}@example.com` }; // over DynamoDB's 2,048-byte partition key
    const [ok, refused] = await Promise.allSettled([store.putEvent(base), store.putEvent(keyTooLong)]);
    expect(ok).toEqual({ status: 'fulfilled', value: 'new' });
    expect(refused).toMatchObject({ status: 'rejected', reason: { name: 'RecordRefusedError' } });
    expect(String((refused as PromiseRejectedResult).reason.message)).toMatch(/^DynamoDB refused the audit record for good \(ValidationError: Hash primary key values must be under 2048 bytes[^\n]*\)$/);
  });

  it('makes an event findable by its day through the time index, with what reports group by, without a scan', async () => {
    const record = recordOf('eventpub-bounce-permanent-general.json');
    await store.putEvent(record);
    await store.putEvent(recordOf('eventpub-complaint-abuse.json'));
    const found: IndexedEvent[] = [];
    await new AuditTrail(client, tableName).forEachEvent(new Date('2017-08-05T00:00:00Z'), new Date('2017-08-05T23:59:59Z'), (e) => found.push(e));
    expect(found.sort((a, b) => a.eventType.localeCompare(b.eventType))).toEqual([
      expect.objectContaining({ address: 'recipient@example.com', eventAt: record.eventAt, eventType: 'Bounce', action: 'suppress', rule: 'permanent-bounce', configurationSet: 'ConfigSet', recipientDomain: 'example.com' }),
      expect.objectContaining({ address: 'recipient@example.com', eventType: 'Complaint', action: 'suppress', reason: 'COMPLAINT', rule: 'complaint' }),
    ]);
    const later: IndexedEvent[] = [];
    await new AuditTrail(client, tableName).forEachEvent(new Date('2017-08-05T00:41:02.670Z'), new Date('2017-08-06T23:59:59Z'), (e) => later.push(e));
    expect(later).toEqual([]);
  });

  it('sets the TTL to the event time plus the retention', async () => {
    const record = recordOf('eventpub-bounce-permanent-general.json');
    await store.putEvent(record);
    const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: addressKey('recipient@example.com'), sk: eventSortKey(record.eventKey) } }));
    expect(Item?.expiresAt).toBe(Math.floor(Date.parse('2017-08-05T00:41:02.669Z') / 1000) + 365 * 86_400);
  });

  it('counts 10 concurrent soft bounces of one address exactly once each (optimistic locking)', async () => {
    const at = (i: number) => new Date(Date.UTC(2026, 10, 1, i)).toISOString();
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => store.addSoftBounce('a@example.com', `event-${i}`, at(i), POLICY)));
    const final = await store.addSoftBounce('a@example.com', 'event-0', at(0), POLICY); // a redelivery: no new count
    expect(final.consecutive).toBe(10);
    expect(outcomes.filter((o) => o.escalate).length).toBeGreaterThanOrEqual(1);
  });

  it('forgets soft bounces older than a delivery, whichever arrives first', async () => {
    await store.addSoftBounce('a@example.com', 'e1', '2026-11-01T00:00:00.000Z', POLICY);
    await store.addSoftBounce('a@example.com', 'e2', '2026-11-02T00:00:00.000Z', POLICY);
    await store.addDelivery('a@example.com', '2026-11-03T00:00:00.000Z', POLICY);
    await store.addDelivery('a@example.com', '2026-11-01T12:00:00.000Z', POLICY); // older delivery arrives late: ignored
    const outcome = await store.addSoftBounce('a@example.com', 'e3', '2026-11-04T00:00:00.000Z', POLICY);
    expect(outcome.consecutive).toBe(1);
  });

  it('keeps whether each history stands escalated, as the writer reads it, and a late delivery that cancels counted bounces withdraws it (again when applied again)', async () => {
    const escalations = new DynamoSoftBounceEscalations(client, tableName);
    const day = (n: number) => new Date(Date.UTC(2026, 10, 1) + n * 86_400_000).toISOString();
    for (const d of [1, 2, 3, 5, 6, 7]) await store.addSoftBounce('late@example.com', `e${d}`, day(d), POLICY);
    await store.addSoftBounce('other@example.com', 'o1', day(1), POLICY);
    expect([...(await escalations.escalated(['late@example.com', 'other@example.com', 'never@example.com']))].sort()).toEqual(['late@example.com', 'never@example.com']);
    expect(await store.addDelivery('late@example.com', day(4), POLICY)).toEqual({ withdraw: true });
    expect(await store.addDelivery('late@example.com', day(4), POLICY)).toEqual({ withdraw: true }); // a retry asks again
    expect(await store.addDelivery('late@example.com', day(3.5), POLICY)).toEqual({ withdraw: false });
    expect(await escalations.escalated(['late@example.com'])).toEqual(new Set());
  });
});

describe('DynamoSuppressionLedger on DynamoDB Local', () => {
  let ledger: DynamoSuppressionLedger;
  beforeEach(async () => {
    tableName = await freshFeedbackTable(client);
    ledger = new DynamoSuppressionLedger(client, tableName);
  });

  it('records 1,234 addresses in batches of 25 and reads them back in batches of 100', async () => {
    const entries = Array.from({ length: 1234 }, (_, i) => ({ address: `a${i}@example.com`, reason: i % 10 === 0 ? ('COMPLAINT' as const) : ('BOUNCE' as const) }));
    await ledger.recordSuppressed(entries, { via: 'import', jobId: 'job-1' }, NOW);
    const asked = [...entries.map((e) => e.address), 'unknown@example.com'];
    const found = await ledger.suppressions(asked);
    expect(found.size).toBe(1234);
    expect(found.get('a10@example.com')).toEqual({ reason: 'COMPLAINT' });
    expect(found.get('a11@example.com')).toEqual({ reason: 'BOUNCE' });
    expect(found.has('unknown@example.com')).toBe(false);
  });

  it('keeps the state item (soft-bounce history) apart, and expires after the ledger period', async () => {
    const store = new DynamoFeedbackStore({ client, tableName, eventRetentionInDays: 365 });
    await store.addSoftBounce('a@example.com', 'e1', '2026-11-01T00:00:00.000Z', POLICY);
    await ledger.recordSuppressed([{ address: 'a@example.com', reason: 'BOUNCE' }], { via: 'put' }, NOW);
    const state = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: addressKey('a@example.com'), sk: FEEDBACK_TABLE.sortKeys.state } }));
    const entry = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: addressKey('a@example.com'), sk: FEEDBACK_TABLE.sortKeys.suppression } }));
    expect(Object.keys(state.Item?.softBounces ?? {})).toEqual(['e1']);
    expect(entry.Item).toMatchObject({ reason: 'BOUNCE', via: 'put', suppressedAt: NOW.toISOString() });
    expect(entry.Item?.expiresAt).toBe(Math.floor(NOW.getTime() / 1000) + FEEDBACK_TABLE.suppressionLedgerDays * 86_400);
  });

  it('never records a bounce over a complaint, in the write itself, and names those addresses (an import job\'s BOUNCE may have landed after the complaint)', async () => {
    const UNTIL = '2026-12-23T09:00:00.000Z';
    await ledger.recordSuppressed([{ address: 'c@example.com', reason: 'COMPLAINT' }, { address: 'b@example.com', reason: 'BOUNCE' }], { via: 'put' }, NOW);
    await ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE', until: UNTIL }], { via: 'put' }, NOW);
    const bounces = ['c@example.com', 'b@example.com', 't@example.com', 'new@example.com'].map((address) => ({ address, reason: 'BOUNCE' as const }));
    expect(await ledger.recordSuppressed(bounces, { via: 'import', jobId: 'job-2' }, NOW)).toEqual(['c@example.com']);
    const found = await ledger.suppressions(bounces.map((b) => b.address), true);
    expect(Object.fromEntries(found)).toEqual({
      'c@example.com': { reason: 'COMPLAINT' },
      'b@example.com': { reason: 'BOUNCE' },
      // A hard bounce makes a temporary suppression permanent.
      't@example.com': { reason: 'BOUNCE' },
      'new@example.com': { reason: 'BOUNCE' },
    });
    expect(await ledger.recordSuppressed([{ address: 'c@example.com', reason: 'BOUNCE' }], { via: 'operator-import', jobId: 'job-3' }, NOW)).toEqual(['c@example.com']);
    expect((await ledger.suppressions(['c@example.com'], true)).get('c@example.com')).toEqual({ reason: 'COMPLAINT' });
  });

  it('forgets an address, so it is suppressed again on its next hard bounce', async () => {
    await ledger.recordSuppressed([{ address: 'a@example.com', reason: 'BOUNCE' }], { via: 'put' }, NOW);
    await ledger.forget('a@example.com');
    expect((await ledger.suppressions(['a@example.com'])).size).toBe(0);
  });

  describe('temporary suppressions (soft bounces escalated): the schedule and a removal', () => {
    const UNTIL = '2026-12-23T09:00:00.000Z';
    const after = (ms: number) => new Date(Date.parse(UNTIL) + ms);
    const T = { address: 't@example.com', until: UNTIL };
    const temporary = () => ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE', until: UNTIL }], { via: 'put' }, NOW);
    const entry = async (address = 't@example.com') => (await ledger.suppressions([address], true)).get(address);

    it('records the end with the entry and in the schedule, keeps the entry until a ledger period after it, and never replaces a permanent entry', async () => {
      await ledger.recordSuppressed([{ address: 'p@example.com', reason: 'COMPLAINT' }], { via: 'put' }, NOW);
      expect(await ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE', until: UNTIL }, { address: 'p@example.com', reason: 'BOUNCE', until: UNTIL }], { via: 'import', jobId: 'j' }, NOW)).toEqual(['p@example.com']);
      expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: UNTIL });
      expect(await entry('p@example.com')).toEqual({ reason: 'COMPLAINT' });
      const item = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: addressKey('t@example.com'), sk: FEEDBACK_TABLE.sortKeys.suppression } }));
      expect(item.Item?.expiresAt).toBe(Date.parse(UNTIL) / 1000 + FEEDBACK_TABLE.suppressionLedgerDays * 86_400);
      expect(await ledger.dueExpiries(after(-1000), 100)).toEqual([]);
      // p's schedule entry has no ledger entry behind it: the writer drops it as stale.
      expect((await ledger.dueExpiries(after(1000), 100)).map((c) => c.address).sort()).toEqual(['p@example.com', 't@example.com']);
    });

    it('finds at most the limit across its shards, the earliest first', async () => {
      const entries = Array.from({ length: 40 }, (_, i) => ({ address: `t${i}@example.com`, reason: 'BOUNCE' as const, until: new Date(Date.parse(UNTIL) + i * 1000).toISOString() }));
      await ledger.recordSuppressed(entries, { via: 'import', jobId: 'j' }, NOW);
      const due = await ledger.dueExpiries(after(3_600_000), 25);
      expect(due.map((d) => d.address)).toEqual(entries.slice(0, 25).map((e) => e.address));
      await ledger.dropExpiries(due);
      expect(await ledger.dueExpiries(after(3_600_000), 25)).toHaveLength(15);
    });

    it('makes an entry permanent, also one whose removal began (SES refused to take it off)', async () => {
      await temporary();
      await ledger.makePermanent('t@example.com', NOW);
      expect(await entry()).toEqual({ reason: 'BOUNCE' });
      // A removal cannot begin on it now.
      await expect(ledger.startRemoval(T)).rejects.toThrow(ConditionalCheckFailedException);
      await ledger.forget('t@example.com');
      await temporary();
      await ledger.startRemoval(T);
      expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: UNTIL, removing: true });
      await ledger.makePermanent('t@example.com', NOW);
      expect(await entry()).toEqual({ reason: 'BOUNCE' });
      await expect(ledger.makePermanent('never-listed@example.com', NOW)).rejects.toThrow(ConditionalCheckFailedException);
    });

    it('lets a new temporary suppression replace one whose removal began (its run died), and nothing else', async () => {
      await temporary();
      await ledger.startRemoval(T);
      const NEWER = '2027-01-30T09:00:00.000Z';
      expect(await ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE', until: NEWER }], { via: 'put' }, NOW)).toEqual([]);
      expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: NEWER });
      expect(await ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE', until: '2027-02-28T09:00:00.000Z' }], { via: 'put' }, NOW)).toEqual([]);
      expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: NEWER });
    });

    it('finishes a removal: one audit record on the time index (the same one on a retry), entry and schedule gone', async () => {
      await temporary();
      await ledger.startRemoval(T);
      const at = after(3_600_000);
      await ledger.finishRemoval([T, { address: 'never-listed@example.com', until: UNTIL }], { via: 'expiry' }, at);
      expect(await entry()).toBeUndefined();
      expect(await ledger.dueExpiries(after(10 * 86_400_000), 100)).toEqual([]);
      await ledger.finishRemoval([T], { via: 'expiry' }, at);
      const events: IndexedEvent[] = [];
      await new AuditTrail(client, tableName).forEachEvent(at, at, (e) => events.push(e));
      expect(events.filter((e) => e.eventType === 'SuppressionExpired')).toEqual([
        expect.objectContaining({ address: 't@example.com', eventAt: at.toISOString(), action: 'unsuppress', rule: 'temporary-suppression-ended', reason: 'BOUNCE', via: 'expiry' }),
      ]);
      const record = await doc.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)', ExpressionAttributeValues: { ':pk': addressKey('t@example.com'), ':e': 'EVENT#' } }));
      expect(record.Items?.[0]?.expiresAt).toBe(Math.floor(at.getTime() / 1000) + 365 * 86_400);
    });
  });
});

describe('DynamoWriterLease on DynamoDB Local', () => {
  it('is held by one run at a time, taken over once it lapses, and given up only by its holder', async () => {
    tableName = await freshFeedbackTable(client);
    let now = NOW;
    const lease = new DynamoWriterLease(client, tableName, 240, () => now);
    expect(await lease.acquire('run-1')).toBe(true);
    expect(await lease.acquire('run-1')).toBe(true);
    expect(await lease.acquire('run-2')).toBe(false);
    now = new Date(NOW.getTime() + 239_000);
    expect(await lease.acquire('run-2')).toBe(false);
    await lease.release('run-2');
    expect(await lease.acquire('run-2')).toBe(false);
    // run-1 died holding it: it lapses after the lease, and run-2 takes it.
    now = new Date(NOW.getTime() + 241_000);
    expect(await lease.acquire('run-2')).toBe(true);
    await lease.release('run-1');
    expect(await lease.acquire('run-3')).toBe(false);
    await lease.release('run-2');
    expect(await lease.acquire('run-3')).toBe(true);
  });
});
