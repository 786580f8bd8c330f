import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoSuppressionLedger } from '../../lambdas/write-suppressions/adapters/dynamo-suppression-ledger.js';
import { SesSuppressionImports } from '../../lambdas/write-suppressions/adapters/ses-suppression-imports.js';
import { SesSuppressionList } from '../../lambdas/write-suppressions/adapters/ses-suppression-list.js';
import { LOCAL_CLIENT_CONFIG } from '../../local/dynamodb-local.js';
import type { AddressSuppressedDetail, AddressUnsuppressedDetail } from '../../lambdas/shared/events.js';
import { AuditTrail } from '../../cli/audit-trail.js';
import { type IndexedEvent } from '../../cli/audit-events.js';
import { LocalPipeline } from '../../local/pipeline.js';
import { bounce, complaint, type MailFacts } from '../../local/ses-events.js';

/**
 * Suppressions that soft bounces escalated end, on the local services: the real writer in its
 * sandboxes takes them off the local SESv2 list (one DeleteSuppressedDestination each, a tick's
 * budget at a time) when the expiry tick arrives on its queue as the stack's schedule puts it,
 * after a period shortened to seconds.
 */
jest.setTimeout(300_000);

/** Long enough that a drain on a busy 2-core machine ends before the first suppressions come due (the "not due yet" ticks). */
const PERIOD_SECONDS = 20;

const facts = (address: string, day: number): MailFacts => ({
  address,
  messageId: `0100019b-${address}-${day}`,
  at: new Date(Date.UTC(2026, 10, day, 10)),
  configurationSet: 'marketing',
  campaign: 'winter',
});
/** Five MailboxFull soft bounces on five days: the default threshold. */
const escalation = (address: string): string[] => [1, 2, 3, 4, 5].map((day) => bounce(facts(address, day), 'Transient', 'MailboxFull'));

let pipeline: LocalPipeline;
let ledger: DynamoSuppressionLedger;
beforeAll(async () => {
  pipeline = await LocalPipeline.start({ logDir: '.local/logs/expiry', temporarySuppressionSeconds: PERIOD_SECONDS });
  await pipeline.startWorker();
  ledger = new DynamoSuppressionLedger(pipeline.dynamodb, pipeline.resources.tableName);
});
afterAll(() => pipeline?.stop());

/** The tick, then the writer until its queues are empty. */
async function tick(): Promise<void> {
  await pipeline.expireSuppressions();
  await pipeline.drain(120_000);
}

/** Waits until every temporary suppression of these addresses has ended (by the ledger's own dates). */
async function waitForTheEnd(addresses: readonly string[]): Promise<void> {
  const ends = [...(await ledger.suppressions(addresses)).values()].map((e) => Date.parse(e.temporaryUntil ?? ''));
  expect(ends).toHaveLength(addresses.length);
  await new Promise((resolve) => setTimeout(resolve, Math.max(...ends) - Date.now() + 500));
}

const listed = (): string[] => [...pipeline.ses.list.keys()].sort();
const deletes = (): number => pipeline.ses.getStats().succeeded.DeleteSuppressedDestination ?? 0;

it('takes one escalated suppression off the list with a single call once it is due, and not before', async () => {
  await pipeline.publish(escalation('solo@example.org'));
  await pipeline.drain(120_000);
  expect(listed()).toEqual(['solo@example.org']);
  const [announced] = pipeline.events.bus.detailsOf<AddressSuppressedDetail>('Address Suppressed');
  expect(announced?.temporaryUntil).toEqual((await ledger.suppressions(['solo@example.org'])).get('solo@example.org')?.temporaryUntil);

  await tick(); // not due yet
  expect(listed()).toEqual(['solo@example.org']);

  await waitForTheEnd(['solo@example.org']);
  await tick();
  expect(listed()).toEqual([]);
  expect(deletes()).toBe(1);
  expect(pipeline.events.bus.detailsOf<AddressUnsuppressedDetail>('Address Unsuppressed')).toEqual([
    expect.objectContaining({ address: 'solo@example.org', cause: 'expiry', via: 'expiry' }),
  ]);
  expect(await ledger.suppressions(['solo@example.org'])).toEqual(new Map());
});

it('takes a flood off the list one call each, no import job, and leaves hard bounces and complaints alone', async () => {
  const flood = Array.from({ length: 30 }, (_, i) => `full${i}@example.org`);
  await pipeline.publish([...flood.flatMap(escalation), bounce(facts('gone@example.org', 6)), complaint(facts('angry@example.org', 6))]);
  await pipeline.drain(120_000);
  expect(listed()).toEqual([...flood, 'gone@example.org', 'angry@example.org'].sort());

  await tick(); // not due yet
  expect(pipeline.ses.list.size).toBe(32);

  await waitForTheEnd(flood);
  await tick();
  expect(listed()).toEqual(['angry@example.org', 'gone@example.org']);
  expect(deletes()).toBe(31); // and the earlier single call
  expect([...pipeline.ses.importJobs.values()].filter((job) => job.action === 'DELETE')).toEqual([]);
  const unsuppressed = pipeline.events.bus.detailsOf<AddressUnsuppressedDetail>('Address Unsuppressed').filter((d) => d.address !== 'solo@example.org');
  expect(unsuppressed.map((d) => d.address).sort()).toEqual([...flood].sort());
  expect([...(await ledger.suppressions([...flood, 'gone@example.org', 'angry@example.org'])).keys()].sort()).toEqual(['angry@example.org', 'gone@example.org']);

  const audit: IndexedEvent[] = [];
  await new AuditTrail(pipeline.dynamodb, pipeline.resources.tableName).forEachEvent(new Date(Date.now() - 3_600_000), new Date(), (e) => audit.push(e));
  expect(audit.filter((e) => e.eventType === 'SuppressionExpired').map((e) => e.address).sort()).toEqual([...flood, 'solo@example.org'].sort());
  expect(await pipeline.deadLetters()).toEqual([]);
});

it('keeps which rows of an import job are temporary beside its file in S3, SES\'s file holding only SES\'s format, and records the job\'s id beside it', async () => {
  const imports = new SesSuppressionImports({ ses: new SESv2Client({ ...LOCAL_CLIENT_CONFIG, endpoint: pipeline.sesEndpoint }), s3: pipeline.s3, bucketName: pipeline.resources.importBucketName });
  const rows = [
    { address: 'kept@example.org', reason: 'BOUNCE' },
    { address: 'full-a@example.org', reason: 'BOUNCE', temporary: true },
    { address: 'angry-b@example.org', reason: 'COMPLAINT' },
  ] as const;
  // A job is prepared, with its record, before SES is asked: the follow-up sent in between finds its id there.
  const job = await imports.prepare(rows);
  expect(job).toMatchObject({ jobId: '', rows: 3, temporary: true });
  expect(await imports.recordedJob(job)).toBeUndefined();
  const file = await pipeline.s3.send(new GetObjectCommand({ Bucket: pipeline.resources.importBucketName, Key: job.objectKey }));
  expect(await file.Body?.transformToString()).toBe(rows.map((r) => JSON.stringify({ emailAddress: r.address, reason: r.reason })).join('\n') + '\n');
  expect((await imports.rows(job)).map((r) => r.entry)).toEqual(rows);
  const jobId = await imports.create(job);
  expect(jobId).not.toBe('');
  expect(await imports.recordedJob(job)).toEqual({ jobId });
  expect(await imports.status(jobId)).toMatchObject({ state: expect.stringMatching(/^(running|completed)$/) });

  const list = new SesSuppressionList(new SESv2Client({ ...LOCAL_CLIENT_CONFIG, endpoint: pipeline.sesEndpoint }));
  await list.suppress('asked@example.org', 'COMPLAINT');
  expect(await list.unsuppress('asked@example.org')).toBe('removed');
  expect(await list.unsuppress('never-listed@example.org')).toBe('not-listed');
});
