import { randomUUID } from 'node:crypto';
import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { LOCAL_CLIENT_CONFIG, type RunningService } from '../../local/dynamodb-local.js';
import { startFauxqs } from '../../local/fauxqs.js';
import { LocalSqsWithMoveTasks } from '../../local/sqs-move-tasks.js';

/**
 * The move-task operations fauxqs lacks, driven only through the real SQS client: the proxy's
 * answers must read to the SDK as SQS's own.
 */
jest.setTimeout(20_000);

let fauxqs: RunningService;
let proxy: LocalSqsWithMoveTasks;
let sqs: SQSClient;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  proxy = new LocalSqsWithMoveTasks(fauxqs.endpoint);
  sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: await proxy.start(), useQueueUrlAsEndpoint: false });
});

afterAll(async () => {
  sqs?.destroy();
  await proxy?.stop();
  await fauxqs?.stop();
});

interface Queue {
  readonly url: string;
  readonly arn: string;
}

async function createQueue(name: string, deadLetterQueue?: Queue): Promise<Queue> {
  const Attributes = deadLetterQueue && { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount: 1 }) };
  const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${randomUUID().slice(0, 8)}`, Attributes }));
  const { Attributes: attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl, arn: attributes.QueueArn ?? '' };
}

/** A source queue with its own dead-letter queue (redriven after one receive). */
async function queueWithDeadLetters(name: string): Promise<{ source: Queue; dlq: Queue }> {
  const dlq = await createQueue(`${name}-dlq`);
  return { source: await createQueue(name, dlq), dlq };
}

async function counts(queue: Queue): Promise<{ visible: number; hidden: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), hidden: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

/** Receives from the source until SQS has dead-lettered each of its messages (maxReceiveCount 1). */
async function deadLetter(source: Queue, dlq: Queue, expected: number): Promise<void> {
  for (let i = 0; i < 20 && (await counts(dlq)).visible < expected; i++) {
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: source.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  }
  expect((await counts(dlq)).visible).toBe(expected);
}

async function drain(queue: Queue): Promise<Array<{ body: string; attributes: Record<string, unknown> }>> {
  const out: Array<{ body: string; attributes: Record<string, unknown> }> = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
    if (Messages.length === 0) return out.sort((a, b) => a.body.localeCompare(b.body));
    for (const m of Messages) {
      const attributes = Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, { DataType: v.DataType, value: v.StringValue ?? Buffer.from(v.BinaryValue ?? []).toString('hex') }]),
      );
      out.push({ body: m.Body ?? '', attributes });
    }
  }
}

async function latestTask(dlq: Queue): Promise<ListMessageMoveTasksResultEntry | undefined> {
  const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn }));
  return Results[0];
}

async function settled(dlq: Queue): Promise<ListMessageMoveTasksResultEntry | undefined> {
  for (let i = 0; i < 100; i++) {
    const task = await latestTask(dlq);
    if (task?.Status !== 'RUNNING' && task?.Status !== 'CANCELLING') return task;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the move task on ${dlq.arn} did not settle`);
}

/** The error the SDK raised, with the fields a caller branches on. */
async function failureOf(call: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await call;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('the call succeeded');
}

const BINARY = Buffer.from([0, 1, 2, 254, 255]);

it('moves every message of a dead-letter queue to the named destination: bodies and attributes intact, the DLQ empty, COMPLETED with moved = toMove', async () => {
  // Prepare: two sources each with its own DLQ; two messages dead-lettered, one sent to the DLQ directly.
  const orders = await queueWithDeadLetters('orders');
  const refunds = await queueWithDeadLetters('refunds');
  const attributes = {
    kind: { DataType: 'String', StringValue: 'bounce' },
    attempt: { DataType: 'Number', StringValue: '3' },
    raw: { DataType: 'Binary', BinaryValue: BINARY },
  };
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: orders.source.url,
      Entries: [
        { Id: 'a', MessageBody: 'order-a', MessageAttributes: attributes },
        { Id: 'b', MessageBody: 'order-b' },
      ],
    }),
  );
  await sqs.send(new SendMessageCommand({ QueueUrl: refunds.source.url, MessageBody: 'refund-a' }));
  await deadLetter(orders.source, orders.dlq, 2);
  await deadLetter(refunds.source, refunds.dlq, 1);
  await sqs.send(new SendMessageCommand({ QueueUrl: orders.dlq.url, MessageBody: 'order-direct', MessageAttributes: { kind: attributes.kind } }));

  // Act
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: orders.dlq.arn, DestinationArn: orders.source.arn }));
  const task = await settled(orders.dlq);

  // Assess
  expect(TaskHandle).toEqual(expect.any(String));
  expect(task).toEqual({
    Status: 'COMPLETED',
    SourceArn: orders.dlq.arn,
    DestinationArn: orders.source.arn,
    ApproximateNumberOfMessagesMoved: 3,
    ApproximateNumberOfMessagesToMove: 3,
    StartedTimestamp: expect.any(Number),
  });
  expect(Math.abs((task?.StartedTimestamp ?? 0) - Date.now())).toBeLessThan(10_000);
  expect(await counts(orders.dlq)).toEqual({ visible: 0, hidden: 0 });
  expect(await drain(orders.source)).toEqual([
    {
      body: 'order-a',
      attributes: {
        kind: { DataType: 'String', value: 'bounce' },
        attempt: { DataType: 'Number', value: '3' },
        raw: { DataType: 'Binary', value: BINARY.toString('hex') },
      },
    },
    { body: 'order-b', attributes: {} },
    { body: 'order-direct', attributes: { kind: { DataType: 'String', value: 'bounce' } } },
  ]);
  // The other pair is untouched.
  expect(await counts(refunds.dlq)).toEqual({ visible: 1, hidden: 0 });
});

it('moves to the one queue that redrives to the DLQ when DestinationArn is omitted, and leaves DestinationArn out of the listing as SQS does', async () => {
  const { source, dlq } = await queueWithDeadLetters('single');
  await sqs.send(new SendMessageCommand({ QueueUrl: dlq.url, MessageBody: 'back-home' }));

  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
  const task = await settled(dlq);

  expect(task).toEqual({
    Status: 'COMPLETED',
    SourceArn: dlq.arn,
    ApproximateNumberOfMessagesMoved: 1,
    ApproximateNumberOfMessagesToMove: 1,
    StartedTimestamp: expect.any(Number),
  });
  expect(await drain(source)).toEqual([{ body: 'back-home', attributes: {} }]);
});

it('fails a start without DestinationArn when several queues share the DLQ (a local deviation: fauxqs keeps no origin)', async () => {
  const dlq = await createQueue('shared-dlq');
  await createQueue('first', dlq);
  await createQueue('second', dlq);

  expect(await failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn })))).toEqual({
    name: 'UnsupportedOperation',
    message: expect.stringContaining('needs DestinationArn'),
    status: 400,
  });
});

it('rejects a start on a queue that is no dead-letter queue, with SQS message and error name', async () => {
  const { source } = await queueWithDeadLetters('plain');

  expect(await failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: source.arn })))).toEqual({
    name: 'InvalidParameterValue',
    message: 'Source queue must be configured as a Dead Letter Queue.',
    status: 400,
  });
});

it('rejects a start on a missing queue, a missing destination and a rate above 500', async () => {
  const { source, dlq } = await queueWithDeadLetters('checks');
  const missing = `${source.arn}-missing`;

  expect(await failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: missing })))).toEqual({
    name: 'ResourceNotFoundException',
    message: "The resource that you specified for the SourceArn parameter doesn't exist.",
    status: 404,
  });
  expect(await failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: missing })))).toMatchObject({
    name: 'ResourceNotFoundException',
    message: "The resource that you specified for the DestinationArn parameter doesn't exist.",
  });
  expect(await failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, MaxNumberOfMessagesPerSecond: 501 })))).toMatchObject({
    name: 'InvalidParameterValue',
    message: expect.stringContaining('MaxNumberOfMessagesPerSecond'),
  });
  expect(await failureOf(sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 11 })))).toMatchObject({
    name: 'InvalidParameterValue',
  });
});

it('rejects a second start while a task runs, cancels the running one, and lists tasks newest first', async () => {
  const { source, dlq } = await queueWithDeadLetters('slow');
  await sqs.send(
    new SendMessageBatchCommand({ QueueUrl: dlq.url, Entries: Array.from({ length: 6 }, (_, i) => ({ Id: String(i), MessageBody: `slow-${i}` })) }),
  );
  // One message a second: the task is still running when the calls below arrive.
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: source.arn, MaxNumberOfMessagesPerSecond: 1 }),
  );

  expect(await failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: source.arn })))).toEqual({
    name: 'InvalidParameterValue',
    message: 'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
    status: 400,
  });
  expect(await latestTask(dlq)).toMatchObject({ TaskHandle, Status: 'RUNNING', MaxNumberOfMessagesPerSecond: 1, ApproximateNumberOfMessagesToMove: 6 });

  const { ApproximateNumberOfMessagesMoved } = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
  const cancelled = await settled(dlq);

  expect(ApproximateNumberOfMessagesMoved).toBeLessThan(6);
  expect(cancelled?.Status).toBe('CANCELLED');
  expect(cancelled).not.toHaveProperty('TaskHandle');
  const moved = cancelled?.ApproximateNumberOfMessagesMoved ?? -1;
  expect(moved).toBeGreaterThanOrEqual(1);
  expect(moved).toBeLessThan(6);
  expect(await counts(dlq)).toEqual({ visible: 6 - moved, hidden: 0 });
  expect(await failureOf(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle })))).toMatchObject({ name: 'UnsupportedOperation' });

  // A new task may start once none runs; the listing shows it first.
  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: source.arn }));
  await settled(dlq);
  const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }));
  expect(Results.map((r) => r.Status)).toEqual(['COMPLETED', 'CANCELLED']);
  expect(Results[0]?.ApproximateNumberOfMessagesMoved).toBe(6 - moved);
  expect(await counts(dlq)).toEqual({ visible: 0, hidden: 0 });
});

it('fails a cancel of an unknown task or a malformed handle as SQS does', async () => {
  const { dlq } = await queueWithDeadLetters('cancel');
  const unknown = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn: dlq.arn })).toString('base64');

  expect(await failureOf(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: unknown })))).toEqual({
    name: 'ResourceNotFoundException',
    message: 'Task does not exist.',
    status: 404,
  });
  expect(await failureOf(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'not-a-handle' })))).toEqual({
    name: 'InvalidParameterValue',
    message: 'Value for parameter TaskHandle is invalid.',
    status: 400,
  });
});

it('forwards ordinary SQS calls to fauxqs unchanged: send, receive and fauxqs errors', async () => {
  const queue = await createQueue('plain-calls');

  await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'through the proxy', MessageAttributes: { n: { DataType: 'Number', StringValue: '7' } } }));

  expect(await drain(queue)).toEqual([{ body: 'through the proxy', attributes: { n: { DataType: 'Number', value: '7' } } }]);
  expect(await failureOf(sqs.send(new GetQueueUrlCommand({ QueueName: `missing-${randomUUID()}` })))).toMatchObject({ name: 'QueueDoesNotExist', status: 400 });
});

it('stops without waiting for a slow task to finish its move', async () => {
  const own = new LocalSqsWithMoveTasks(fauxqs.endpoint);
  const client = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: await own.start(), useQueueUrlAsEndpoint: false });
  const { source, dlq } = await queueWithDeadLetters('stopping');
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: dlq.url, Entries: Array.from({ length: 5 }, (_, i) => ({ Id: String(i), MessageBody: `m-${i}` })) }));
  await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: source.arn, MaxNumberOfMessagesPerSecond: 1 }));
  client.destroy();

  const began = Date.now();
  await own.stop();

  expect(Date.now() - began).toBeLessThan(1_000);
  // Each message is in exactly one of the two queues: none lost, none doubled.
  const inSource = await drain(source);
  const inDlq = await counts(dlq);
  expect(inSource.length + inDlq.visible + inDlq.hidden).toBe(5);
  expect(inSource.length).toBeLessThan(5);
});
