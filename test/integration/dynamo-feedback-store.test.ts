import { GetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoFeedbackStore } from '../../lambdas/adapters/dynamo-feedback-store.js';
import { DynamoSuppressionLedger } from '../../lambdas/adapters/dynamo-suppression-ledger.js';
import { AuditTrail, type IndexedEvent } from '../../cli/audit-trail.js';
import { addressKey, eventSortKey, FEEDBACK_TABLE } from '../../lambdas/contract.js';
import { classify, eventKeyOf, mailContext, readFeedback, toFeedbackRecord, type FeedbackRecord } from '../../lambdas/domain/index.js';
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

  it('keeps whether each history stands escalated, and a late delivery that cancels counted bounces withdraws it (again when applied again)', async () => {
    const day = (n: number) => new Date(Date.UTC(2026, 10, 1) + n * 86_400_000).toISOString();
    for (const d of [1, 2, 3, 5, 6, 7]) await store.addSoftBounce('late@example.com', `e${d}`, day(d), POLICY);
    await store.addSoftBounce('other@example.com', 'o1', day(1), POLICY);
    expect([...(await store.escalated(['late@example.com', 'other@example.com', 'never@example.com']))].sort()).toEqual(['late@example.com', 'never@example.com']);
    expect(await store.addDelivery('late@example.com', day(4), POLICY)).toEqual({ withdraw: true });
    expect(await store.addDelivery('late@example.com', day(4), POLICY)).toEqual({ withdraw: true }); // a retry asks again
    expect(await store.addDelivery('late@example.com', day(3.5), POLICY)).toEqual({ withdraw: false });
    expect(await store.escalated(['late@example.com'])).toEqual(new Set());
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

  it('never records a bounce the pipeline decided over a complaint, in the write itself, and names those addresses; an operator\'s import records what it put', async () => {
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
    expect(await ledger.recordSuppressed([{ address: 'c@example.com', reason: 'BOUNCE' }], { via: 'operator-import' }, NOW)).toEqual([]);
    expect((await ledger.suppressions(['c@example.com'], true)).get('c@example.com')).toEqual({ reason: 'BOUNCE' });
  });

  it('forgets an address, so it is suppressed again on its next hard bounce', async () => {
    await ledger.recordSuppressed([{ address: 'a@example.com', reason: 'BOUNCE' }], { via: 'put' }, NOW);
    await ledger.forget('a@example.com');
    expect((await ledger.suppressions(['a@example.com'])).size).toBe(0);
  });

  describe('temporary suppressions (soft bounces escalated): the schedule and the removal protocol', () => {
    const UNTIL = '2026-12-23T09:00:00.000Z';
    const DAY_MS = 86_400_000;
    const LEASE = 3 * 86_400;
    const after = (ms: number) => new Date(Date.parse(UNTIL) + ms);
    const T = { address: 't@example.com', until: UNTIL };
    const temporary = () => ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE', until: UNTIL }], { via: 'put' }, NOW);
    const entry = async (address = 't@example.com') => (await ledger.suppressions([address], true)).get(address);

    it('records the end with the entry and in the schedule, keeps the entry until a ledger period after it, and never replaces a permanent entry', async () => {
      await ledger.recordSuppressed([{ address: 'p@example.com', reason: 'COMPLAINT' }], { via: 'put' }, NOW);
      await ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE', until: UNTIL }, { address: 'p@example.com', reason: 'BOUNCE', until: UNTIL }], { via: 'import', jobId: 'j' }, NOW);
      expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: UNTIL });
      expect(await entry('p@example.com')).toEqual({ reason: 'COMPLAINT' });
      const item = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: addressKey('t@example.com'), sk: FEEDBACK_TABLE.sortKeys.suppression } }));
      expect(item.Item?.expiresAt).toBe(Date.parse(UNTIL) / 1000 + FEEDBACK_TABLE.suppressionLedgerDays * 86_400);
      expect((await ledger.claimDueExpiries(after(-1000), 100, LEASE, 5)).claimed).toEqual([]);
      // p's schedule entry has no ledger entry behind it: the writer drops it as stale.
      const { claimed } = await ledger.claimDueExpiries(after(1000), 100, LEASE, 5);
      expect(claimed.map((c) => c.address).sort()).toEqual(['p@example.com', 't@example.com']);
    });

    it('claims a due entry once per lease, again once the lease has run out, and at most maxClaims times', async () => {
      await temporary();
      expect((await ledger.claimDueExpiries(after(1000), 100, LEASE, 2)).claimed).toHaveLength(1);
      expect(await ledger.claimDueExpiries(after(2000), 100, LEASE, 2)).toEqual({ claimed: [], exhausted: [] });
      expect((await ledger.claimDueExpiries(after(3 * DAY_MS + 5000), 100, LEASE, 2)).claimed).toHaveLength(1);
      expect(await ledger.claimDueExpiries(after(6 * DAY_MS + 10_000), 100, LEASE, 2)).toEqual({ claimed: [], exhausted: [T] });
      await ledger.dropExpiries([T]);
      expect(await ledger.claimDueExpiries(after(20 * DAY_MS), 100, LEASE, 2)).toEqual({ claimed: [], exhausted: [] });
    });

    it('claims at most the limit, across its shards', async () => {
      const entries = Array.from({ length: 40 }, (_, i) => ({ address: `t${i}@example.com`, reason: 'BOUNCE' as const, until: UNTIL }));
      await ledger.recordSuppressed(entries, { via: 'import', jobId: 'j' }, NOW);
      const first = (await ledger.claimDueExpiries(after(1000), 25, LEASE, 5)).claimed;
      const second = (await ledger.claimDueExpiries(after(1000), 25, LEASE, 5)).claimed;
      expect(first).toHaveLength(25);
      expect(second).toHaveLength(15);
      expect(new Set([...first, ...second].map((d) => d.address)).size).toBe(40);
    });

    it('makes an entry permanent only while no removal has begun, and says why not', async () => {
      expect(await ledger.makePermanent('t@example.com', NOW)).toBe('absent');
      await temporary();
      expect(await ledger.makePermanent('t@example.com', NOW)).toBe('done');
      expect(await entry()).toEqual({ reason: 'BOUNCE' });
      expect(await ledger.makePermanent('t@example.com', NOW)).toBe('done');
      // A removal cannot begin on it now.
      expect(await ledger.startRemoval([T])).toEqual([]);
      await ledger.forget('t@example.com');
      await temporary();
      expect(await ledger.startRemoval([T, { address: 'never-listed@example.com', until: UNTIL }])).toEqual(['t@example.com']);
      expect(await ledger.makePermanent('t@example.com', NOW)).toBe('removing');
      expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: UNTIL, removing: true });
    });

    it('marks an entry being removed as wanted back, a complaint over a bounce and never the reverse, and nothing else', async () => {
      await temporary();
      expect(await ledger.wantBack('t@example.com', 'BOUNCE')).toBe(false);
      await ledger.startRemoval([T]);
      expect(await ledger.wantBack('t@example.com', 'BOUNCE')).toBe(true);
      expect((await entry())?.wantedBack).toBe('BOUNCE');
      expect(await ledger.wantBack('t@example.com', 'COMPLAINT')).toBe(true);
      expect(await ledger.wantBack('t@example.com', 'BOUNCE')).toBe(true);
      expect((await entry())?.wantedBack).toBe('COMPLAINT');
      expect(await ledger.wantBack('never-listed@example.com', 'BOUNCE')).toBe(false);
    });

    it('names, instead of writing, a bounce over an entry wanted back as a complaint, and a temporary bounce that meets a complaint', async () => {
      await temporary();
      await ledger.startRemoval([T]);
      await ledger.wantBack('t@example.com', 'COMPLAINT');
      expect(await ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE' }], { via: 'put' }, NOW)).toEqual(['t@example.com']);
      expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: UNTIL, removing: true, wantedBack: 'COMPLAINT' });
      await ledger.recordSuppressed([{ address: 'c@example.com', reason: 'COMPLAINT' }], { via: 'put' }, NOW);
      const temporaries = ['c@example.com', 'new@example.com'].map((address) => ({ address, reason: 'BOUNCE' as const, until: UNTIL }));
      expect(await ledger.recordSuppressed(temporaries, { via: 'put' }, NOW)).toEqual(['c@example.com']);
      expect(await entry('c@example.com')).toEqual({ reason: 'COMPLAINT' });
      expect(await entry('new@example.com')).toEqual({ reason: 'BOUNCE', temporaryUntil: UNTIL });
    });

    it('ranks wishes: for a while < for longer < a bounce < a complaint, and puts back for a while with a new schedule entry', async () => {
      const NEWER = '2027-01-30T09:00:00.000Z';
      await temporary();
      await ledger.startRemoval([T]);
      expect(await ledger.wantBack('t@example.com', 'BOUNCE', '2027-01-15T00:00:00.000Z')).toBe(true);
      // A later wish for a while extends the first; an earlier one does not shorten it.
      expect(await ledger.wantBack('t@example.com', 'BOUNCE', NEWER)).toBe(true);
      expect(await ledger.wantBack('t@example.com', 'BOUNCE', '2027-01-20T00:00:00.000Z')).toBe(true);
      expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: UNTIL, removing: true, wantedBack: 'BOUNCE', wantedUntil: NEWER });
      const forAWhile = { address: 't@example.com', reason: 'BOUNCE' as const, until: UNTIL, keepUntil: NEWER };
      expect(await ledger.finishRemoval(['t@example.com'], { via: 'put' }, after(1000))).toEqual([forAWhile]);
      expect(await ledger.completePutBack([forAWhile], after(2000))).toEqual([]);
      expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: NEWER });
      expect((await ledger.claimDueExpiries(after(10 * DAY_MS), 100, LEASE, 5)).claimed).toEqual([]);
      expect((await ledger.claimDueExpiries(new Date(Date.parse(NEWER) + 1000), 100, LEASE, 5)).claimed).toEqual([{ address: 't@example.com', until: NEWER }]);

      // A hard bounce outranks a wish for a while: a put-back for a while is handed back to be done for good.
      await ledger.startRemoval([{ address: 't@example.com', until: NEWER }]);
      await ledger.wantBack('t@example.com', 'BOUNCE', '2027-03-01T00:00:00.000Z');
      const again = { address: 't@example.com', reason: 'BOUNCE' as const, until: NEWER, keepUntil: '2027-03-01T00:00:00.000Z' };
      expect(await ledger.wantBack('t@example.com', 'BOUNCE')).toBe(true);
      expect(await ledger.completePutBack([again], after(3000))).toEqual([{ address: 't@example.com', reason: 'BOUNCE', until: NEWER }]);
      expect(await ledger.completePutBack([{ address: 't@example.com', reason: 'BOUNCE', until: NEWER }], after(4000))).toEqual([]);
      expect(await entry()).toEqual({ reason: 'BOUNCE' });
    });

    it('finishes a removal nobody wants back: one audit record on the time index (the same one on a retry), entry and schedule gone', async () => {
      await temporary();
      await ledger.startRemoval([T]);
      const at = after(3_600_000);
      expect(await ledger.finishRemoval(['t@example.com', 'never-listed@example.com'], { via: 'import', jobId: 'job-9' }, at)).toEqual([]);
      expect(await entry()).toBeUndefined();
      expect(await ledger.claimDueExpiries(after(10 * DAY_MS), 100, LEASE, 5)).toEqual({ claimed: [], exhausted: [] });
      expect(await ledger.finishRemoval(['t@example.com'], { via: 'import', jobId: 'job-9' }, at)).toEqual([]);
      const events: IndexedEvent[] = [];
      await new AuditTrail(client, tableName).forEachEvent(at, at, (e) => events.push(e));
      expect(events.filter((e) => e.eventType === 'SuppressionExpired')).toEqual([
        expect.objectContaining({ address: 't@example.com', eventAt: at.toISOString(), action: 'unsuppress', rule: 'temporary-suppression-ended', reason: 'BOUNCE', via: 'import' }),
      ]);
      const record = await doc.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)', ExpressionAttributeValues: { ':pk': addressKey('t@example.com'), ':e': 'EVENT#' } }));
      expect(record.Items?.[0]?.expiresAt).toBe(Math.floor(at.getTime() / 1000) + 365 * 86_400);
    });

    it('hands back an address wanted back, keeps it marked until SES has put it back, then keeps it for good', async () => {
      await temporary();
      await ledger.startRemoval([T]);
      await ledger.wantBack('t@example.com', 'COMPLAINT');
      const wanted = { address: 't@example.com', reason: 'COMPLAINT' as const, until: UNTIL };
      expect(await ledger.finishRemoval(['t@example.com'], { via: 'put' }, after(1000))).toEqual([wanted]);
      // Not settled yet: a retry finds it again.
      expect(await ledger.finishRemoval(['t@example.com'], { via: 'put' }, after(2000))).toEqual([wanted]);
      expect(await ledger.completePutBack([wanted], after(3000))).toEqual([]);
      expect(await entry()).toEqual({ reason: 'COMPLAINT' });
      expect(await ledger.claimDueExpiries(after(10 * DAY_MS), 100, LEASE, 5)).toEqual({ claimed: [], exhausted: [] });
      // Permanent now: a late remover is told to put it back (SES may have taken it off for it), the ledger left as it is.
      expect(await ledger.finishRemoval(['t@example.com'], { via: 'put' }, after(4000))).toEqual([{ address: 't@example.com', reason: 'COMPLAINT' }]);
      expect(await ledger.completePutBack([wanted], after(5000))).toEqual([]);
      expect(await entry()).toEqual({ reason: 'COMPLAINT' });
    });

    it('hands back an entry written over while it was being removed (an operator\'s import)', async () => {
      await temporary();
      await ledger.startRemoval([T]);
      await ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE' }], { via: 'operator-import' }, NOW);
      expect(await ledger.finishRemoval(['t@example.com'], { via: 'put' }, after(1000))).toEqual([{ address: 't@example.com', reason: 'BOUNCE' }]);
      // An entry an operator took off since is not written back by a put-back that settles its removal.
      await ledger.forget('t@example.com');
      expect(await ledger.completePutBack([{ address: 't@example.com', reason: 'BOUNCE', until: UNTIL }], after(2000))).toEqual([]);
      expect(await entry()).toBeUndefined();
    });

    describe('with another writer between a read and the write that depends on it', () => {
      const clients: DynamoDBClient[] = [];
      afterEach(() => clients.splice(0).forEach((c) => c.destroy()));

      /** A second client whose first `command` runs `meanwhile` (another writer's call, on the plain client) just before it is sent. */
      function crossedLedger(command: string, meanwhile: () => Promise<unknown>): DynamoSuppressionLedger {
        const crossed = localDynamoDb();
        clients.push(crossed);
        let done = false;
        crossed.middlewareStack.add(
          (next, context) => async (args) => {
            if (!done && context.commandName === command) {
              done = true;
              await meanwhile();
            }
            return next(args);
          },
          { step: 'initialize', name: 'anotherWriterMeanwhile' },
        );
        return new DynamoSuppressionLedger(crossed, tableName);
      }

      it('makes permanent the newer temporary entry it finds after its condition failed, not the one it read', async () => {
        await temporary();
        await ledger.startRemoval([T]);
        // Its update fails (being removed); meanwhile the removal ends and soft bounces suppress the address again.
        const NEWER = '2027-01-30T09:00:00.000Z';
        const crossed = crossedLedger('GetItemCommand', async () => {
          await ledger.finishRemoval(['t@example.com'], { via: 'put' }, after(1000));
          await ledger.recordSuppressed([{ address: 't@example.com', reason: 'BOUNCE', until: NEWER }], { via: 'put' }, after(2000));
        });
        expect(await crossed.makePermanent('t@example.com', after(3000))).toBe('done');
        expect(await entry()).toEqual({ reason: 'BOUNCE' });
      });

      it('writes no audit record of an end that a complaint stopped between the read and the delete, and hands the address back', async () => {
        await temporary();
        await ledger.startRemoval([T]);
        const crossed = crossedLedger('TransactWriteItemsCommand', () => ledger.wantBack('t@example.com', 'COMPLAINT'));
        const at = after(1000);
        expect(await crossed.finishRemoval(['t@example.com'], { via: 'put' }, at)).toEqual([{ address: 't@example.com', reason: 'COMPLAINT', until: UNTIL }]);
        const events: IndexedEvent[] = [];
        await new AuditTrail(client, tableName).forEachEvent(at, at, (e) => events.push(e));
        expect(events.filter((e) => e.eventType === 'SuppressionExpired')).toEqual([]);
        expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: UNTIL, removing: true, wantedBack: 'COMPLAINT' });
      });

      it('does not settle a bounce put-back over a complaint that came meanwhile: hands it back to be put back as a complaint', async () => {
        await temporary();
        await ledger.startRemoval([T]);
        await ledger.wantBack('t@example.com', 'BOUNCE');
        const bounce = { address: 't@example.com', reason: 'BOUNCE' as const, until: UNTIL };
        const crossed = crossedLedger('UpdateItemCommand', () => ledger.wantBack('t@example.com', 'COMPLAINT'));
        expect(await crossed.completePutBack([bounce], after(1000))).toEqual([{ ...bounce, reason: 'COMPLAINT' }]);
        expect(await entry()).toEqual({ reason: 'BOUNCE', temporaryUntil: UNTIL, removing: true, wantedBack: 'COMPLAINT' });
        expect(await ledger.completePutBack([{ ...bounce, reason: 'COMPLAINT' }], after(2000))).toEqual([]);
        expect(await entry()).toEqual({ reason: 'COMPLAINT' });
      });
    });
  });
});
