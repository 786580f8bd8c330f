import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_CLIENT_CONFIG, type RunningService } from '../../local/dynamodb-local.js';
import { startFauxqs } from '../../local/fauxqs.js';
import { FunctionWorker } from '../../local/function-worker.js';

/**
 * The local stand-in for Lambda, on a real queue (fauxqs) with a test function
 * (test/support/sleeping-handler.ts): each concurrent invocation has a sandbox of its own, so a
 * timeout ends one invocation and no other, as in Lambda.
 */
const TIMEOUT_MS = 5_000;
const VISIBILITY_SECONDS = 8;

let fauxqs: RunningService;
let sqs: SQSClient;
let dir: string;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fauxqs.endpoint, useQueueUrlAsEndpoint: false });
  dir = mkdtempSync(join(tmpdir(), 'local-runtime-'));
});

afterAll(async () => {
  sqs.destroy();
  await fauxqs.stop();
});

describe('local Lambda runtime: a sandbox per concurrent invocation', () => {
  it('ends only the invocation that outlives the timeout: the others in flight finish once, and its records come back', async () => {
    // Prepare: a queue, and the test function on it with 3 pollers, batches of 1
    const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'runtime', Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) } }));
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const worker = new FunctionWorker('process-feedback', runtimeEnvironment(QueueUrl, Attributes.QueueArn ?? ''), dir);
    const log = join(dir, 'process-feedback.log');
    const release = join(dir, 'release');
    const send = (body: object) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(body) }));
    try {
      await worker.start();
      // Act: one invocation hangs past the timeout on its first receive; two more start after it
      // and wait in their own invocations until the first has timed out, then finish.
      await send({ name: 'stuck', firstSleepMs: 120_000 });
      await until(() => lines(log, 'start stuck').length === 1);
      await new Promise((r) => setTimeout(r, 1_000));
      await Promise.all([send({ name: 'left', untilFile: release }), send({ name: 'right', untilFile: release })]);
      await until(() => lines(log, 'start left').length === 1 && lines(log, 'start right').length === 1);
      await until(() => lines(log, 'timed out').length === 1, TIMEOUT_MS + 5_000);
      writeFileSync(release, '');
      await until(() => lines(log, 'done ').length === 3, (VISIBILITY_SECONDS + 10) * 1000);
      await until(async () => (await depth(QueueUrl)) === 0);
      // Assess: the neighbours ran once each and finished within their own time; the stuck record
      // came back after the visibility timeout and ran again in a new sandbox; one sandbox ended.
      for (const name of ['left', 'right']) {
        expect(lines(log, `start ${name}`)).toHaveLength(1);
        const remaining = Number(lines(log, `done ${name}`)[0]?.split(' ').at(-1));
        expect(remaining).toBeGreaterThan(0);
        expect(remaining).toBeLessThan(TIMEOUT_MS);
      }
      expect(lines(log, 'start stuck')).toHaveLength(2);
      expect(lines(log, 'done stuck')).toHaveLength(1);
      expect(lines(log, 'timed out')[0]).toContain('its 1 records come back');
      expect(worker.restarts).toBe(1);
      expect(worker.stats.invocations).toBe(3);
    } finally {
      await worker.stop();
    }
  });
});

function runtimeEnvironment(queueUrl: string, queueArn: string): Record<string, string> {
  return {
    AWS_REGION: LOCAL_CLIENT_CONFIG.region,
    AWS_ACCESS_KEY_ID: LOCAL_CLIENT_CONFIG.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CLIENT_CONFIG.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    LOCAL_HANDLER: join(__dirname, '..', 'support', 'sleeping-handler.ts'),
    LOCAL_QUEUE_URL: queueUrl,
    LOCAL_QUEUE_ARN: queueArn,
    LOCAL_POLLERS: '3',
    LOCAL_BATCH_SIZE: '1',
    LOCAL_FUNCTION_TIMEOUT_MS: String(TIMEOUT_MS),
  };
}

function lines(file: string, containing: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return []; // not written yet
  }
  return text.split('\n').filter((line) => line.includes(containing));
}

async function depth(queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
