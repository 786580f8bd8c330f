import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixture, snsEnvelope, variant } from '../../support/fixtures.js';
import { createHarness } from '../../support/harness.js';
import { captureLogs } from '../../support/capture-logs.js';
import { sqsRecord } from '../../support/sqs.js';
import { throttled } from '../../support/fakes.js';
import { SuppressionRejectedError } from '../../../lambdas/shared/errors.js';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const ADDRESS = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

function allFixtures(dir = FIXTURES): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return allFixtures(path);
    return name.endsWith('.json') ? [relative(FIXTURES, path)] : [];
  });
}

describe('logs', () => {
  it('never contain an email address in clear, for every payload in the corpus, on success and failure paths', async () => {
    // Prepare: every fixture as an SQS body (raw, and wrapped in an SNS envelope), plus failures
    const { drain, ses, imports } = createHarness({ importThreshold: 5, maxAttempts: 1 });
    const bodies = allFixtures().flatMap((file) => [fixture(file), snsEnvelope(fixture(file))]);
    ses.failWith(
      throttled(),
      new Error('PutSuppressedDestination failed for recipient@example.com'),
      new SuppressionRejectedError('SES rejected PutSuppressedDestination (BadRequestException): bad recipient@example.com'),
    );
    imports.refuse.add('richard@example.com');
    // Act: both handlers, single calls and import jobs (threshold 5), retries and DLQ parking
    const lines = await captureLogs(async () => {
      await drain(bodies.slice(0, 3), 1);
      await drain(bodies, 1);
    });
    // Assess: the logs are there and say something about addresses, masked
    expect(lines.length).toBeGreaterThan(bodies.length);
    expect(lines.some((line) => line.includes('r***@example.com'))).toBe(true);
    const leaks = lines.flatMap((line) => line.match(ADDRESS) ?? []);
    expect(leaks).toEqual([]);
  });

  it('masks an address hidden in the message ID, the event type or the configuration-set tag, and keeps it out of the metric dimensions', async () => {
    // Prepare: a DEBUG logger (the harness's), so the per-record line that names these fields is written
    const { drain } = createHarness();
    const body = snsEnvelope(
      variant('eventpub-bounce-permanent-general.json', (m) => {
        m.mail.messageId = 'id-jane.doe@example.com';
        m.mail.tags['ses:configuration-set'] = ['ops@example.com'];
      }),
    );
    const odd = snsEnvelope(variant('eventpub-send.json', (m) => { m.eventType = 'Send to bob.smith@example.org'; }));
    // Act
    const lines = await captureLogs(() => drain([body, odd]));
    // Assess
    expect(lines.flatMap((line) => line.match(ADDRESS) ?? [])).toEqual([]);
    expect(lines.some((line) => line.includes('"messageId":"i***@example.com"') && line.includes('"configurationSet":"o***@example.com"'))).toBe(true);
    const dimensions = lines.map((line) => JSON.parse(line)).filter((doc) => doc._aws && 'ConfigurationSet' in doc).map((doc) => doc.ConfigurationSet);
    expect(dimensions).toEqual(['invalid', 'ConfigSet']);
  });

  it('detects an address when one is logged (the check above can fail)', async () => {
    const lines = await captureLogs(async () => {
      process.stdout.write('{"message":"oops","address":"jane@example.com"}\n');
    });
    expect(lines.flatMap((line) => line.match(ADDRESS) ?? [])).toEqual(['jane@example.com']);
  });
});

describe('log volume', () => {
  it('writes one INFO summary per invocation; the per-record lines are DEBUG only', async () => {
    // Prepare: a batch of three records (hard bounce, not-spam complaint, delivery)
    const { invoke } = createHarness();
    const records = [
      sqsRecord(snsEnvelope(fixture('eventpub-bounce-permanent-general.json'))),
      sqsRecord(snsEnvelope(fixture('derived/eventpub-complaint-not-spam.json'))),
      sqsRecord(snsEnvelope(fixture('eventpub-delivery.json'))),
    ];
    // Act
    const lines = await captureLogs(() => invoke(...records));
    // Assess: one summary with the batch's tally; every per-record line at DEBUG
    const logs = lines.map((line) => JSON.parse(line)).filter((doc) => !doc._aws);
    const summaries = logs.filter((doc) => doc.message === 'batch processed');
    expect(summaries).toEqual([
      expect.objectContaining({ level: 'INFO', records: 3, failed: 0, handedOver: 1, decisions: { suppress: 1, count: 0, record: 2, duplicates: 0, parked: 0 } }),
    ]);
    const perRecord = logs.filter((doc) => doc.message === 'feedback applied');
    expect(perRecord).toHaveLength(3);
    expect(perRecord.every((doc) => doc.level === 'DEBUG')).toBe(true);
  });
});

describe('metrics', () => {
  it('publishes one EMF document per configuration set with the counts of the invocation', async () => {
    const { invoke } = createHarness();
    const lines = await captureLogs(() =>
      invoke(
        sqsRecord(snsEnvelope(fixture('eventpub-bounce-permanent-general.json'))),
        sqsRecord(snsEnvelope(fixture('derived/eventpub-complaint-not-spam.json'))),
      ),
    );
    const emf = lines.map((line) => JSON.parse(line)).filter((doc) => doc._aws?.CloudWatchMetrics);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      ConfigurationSet: 'ConfigSet',
      service: 'ses-feedback-pipeline',
      Events: 2,
      HardBounces: 1,
      SuppressionRequests: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: 'SesFeedbackPipeline', Dimensions: [expect.arrayContaining(['ConfigurationSet', 'service'])] }] },
    });
    expect(emf[0]).not.toHaveProperty('Complaints');
  });

  it('counts a provider block as ProviderBlocks, not as a hard or soft bounce, under the same dimensions', async () => {
    // Prepare: a Transient/General bounce whose recipient's provider refused the sender (5.7.26)
    // (base derived/eventpub-bounce-transient-general.json, recipient given Gmail's DMARC refusal)
    const { invoke } = createHarness();
    const block = variant('derived/eventpub-bounce-transient-general.json', (m) => {
      m.bounce.bouncedRecipients[0].status = '5.7.26';
      m.bounce.bouncedRecipients[0].diagnosticCode = "smtp; 550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.";
    });
    // Act
    const lines = await captureLogs(() => invoke(sqsRecord(snsEnvelope(block))));
    // Assess
    const emf = lines.map((line) => JSON.parse(line)).filter((doc) => doc._aws?.CloudWatchMetrics);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ ConfigurationSet: 'ConfigSet', service: 'ses-feedback-pipeline', Events: 1, ProviderBlocks: 1 });
    for (const name of ['HardBounces', 'SoftBounces', 'SuppressionRequests']) expect(emf[0]).not.toHaveProperty(name);
  });
});
