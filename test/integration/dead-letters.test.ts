import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Status } from '../../cli/status-command.js';
import { EXIT } from '../../cli/main.js';
import type { SuppressionMessage } from '../../lambdas/shared/suppression.js';
import { LocalPipeline } from '../../local/pipeline.js';
import { runCli, type CliRun } from '../support/cli.js';

/**
 * `ses-feedback dead-letters redrive --local` on the local services: a malformed feedback record
 * the processing function parked, and a suppression request SQS moved to the suppression queue's
 * dead-letter queue, each go back to the one queue it came from, through the real SDK's
 * StartMessageMoveTask / ListMessageMoveTasks on the local SQS.
 */
jest.setTimeout(120_000);

const MALFORMED = '{"notificationType":"Bounce"}';
const READER = 'redriven-reader@example.com';

let pipeline: LocalPipeline;
let env: NodeJS.ProcessEnv;
const cli = (...argv: string[]): Promise<CliRun> => runCli(env, ...argv);

beforeAll(async () => {
  pipeline = await LocalPipeline.start({ timeCompression: 20, logDir: '.local/logs/dead-letters' });
  const endpoints = join(mkdtempSync(join(tmpdir(), 'ses-feedback-dlq-')), 'endpoints.json');
  pipeline.writeEndpointsFile(endpoints);
  env = { SES_FEEDBACK_LOCAL: endpoints };
});
afterAll(() => pipeline?.stop());

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The bodies waiting in a queue, read with a short visibility timeout (they are back a second later). */
async function bodies(queueUrl: string): Promise<string[]> {
  const { Messages = [] } = await pipeline.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 1, WaitTimeSeconds: 1 }));
  return Messages.map((m) => m.Body ?? '');
}

describe('dead-letters redrive', () => {
  it('moves each dead letter back to its own source queue, where its function takes it again', async () => {
    const { resources } = pipeline;
    // Arrange: the processor parks a malformed record in the feedback queue's DLQ ...
    await pipeline.startWorker();
    await pipeline.publish([MALFORMED]);
    await until('the malformed record parked', async () => (await pipeline.depth(resources.deadLetterQueueUrl)).visible === 1);
    await pipeline.stopWorker();
    // ... and a suppression request waits in the suppression queue's, as SQS leaves one after 5 receives.
    const request: SuppressionMessage = { type: 'suppress', entries: [{ address: READER, reason: 'BOUNCE' }], attempt: 0 };
    await pipeline.sqs.send(new SendMessageCommand({ QueueUrl: resources.suppressionDeadLetterQueueUrl, MessageBody: JSON.stringify(request) }));
    const before = JSON.parse((await cli('status', '--json')).stdout) as Status;
    expect(before.deadLetters).toEqual({ feedback: 1, suppressions: 1 });

    // Act
    const run = await cli('dead-letters', 'redrive', '--poll-seconds', '0.2');

    // Assess: each is back where it came from, and nowhere else.
    expect([run.code, run.stdout]).toEqual([EXIT.ok, 'feedback: 1 of 1 moved back to the feedback queue\nsuppressions: 1 of 1 moved back to the suppression queue\n']);
    const [feedbackDlq, suppressionDlq] = await Promise.all([pipeline.depth(resources.deadLetterQueueUrl), pipeline.depth(resources.suppressionDeadLetterQueueUrl)]);
    expect([feedbackDlq.visible, suppressionDlq.visible]).toEqual([0, 0]);
    expect((await bodies(resources.queueUrl)).map((body) => (JSON.parse(body) as { Message: string }).Message)).toEqual([MALFORMED]);
    expect((await bodies(resources.suppressionQueueUrl)).map((body) => JSON.parse(body) as unknown)).toEqual([request]);

    // The functions take them as new work: the reader is suppressed; the record, still malformed, is parked again.
    await pipeline.startWorker();
    await until('the redriven request written', async () => pipeline.ses.list.has(READER));
    await until('the malformed record parked again', async () => (await pipeline.depth(resources.deadLetterQueueUrl)).visible === 1);
    expect((await pipeline.depth(resources.suppressionDeadLetterQueueUrl)).visible).toBe(0);
  });

  it('says there is nothing to move, and takes one queue with --queue; refuses a queue it does not know', async () => {
    expect(await cli('dead-letters', 'redrive', '--queue', 'suppressions')).toEqual({ code: EXIT.ok, stdout: 'suppressions: no dead letters\n', stderr: '' });
    const bad = await cli('dead-letters', 'redrive', '--queue', 'everything');
    expect([bad.code, bad.stderr]).toEqual([EXIT.usage, "ses-feedback dead-letters: --queue must be feedback or suppressions, got 'everything' (try --help)\n"]);
  });
});
