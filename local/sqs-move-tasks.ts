import { randomUUID } from 'node:crypto';
import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { LOCAL_CLIENT_CONFIG } from './dynamodb-local.js';
import { LocalHttpService, readBody } from './http-service.js';

/** The status of a message move task, as ListMessageMoveTasks reports it. */
export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

type MoveOperation = 'StartMessageMoveTask' | 'ListMessageMoveTasks' | 'CancelMessageMoveTask';

const MOVE_OPERATIONS: Readonly<Record<string, MoveOperation>> = {
  'AmazonSQS.StartMessageMoveTask': 'StartMessageMoveTask',
  'AmazonSQS.ListMessageMoveTasks': 'ListMessageMoveTasks',
  'AmazonSQS.CancelMessageMoveTask': 'CancelMessageMoveTask',
};

/** SQS's ceiling on MaxNumberOfMessagesPerSecond. */
const MAX_MESSAGES_PER_SECOND = 500;
const MAX_RESULTS_DEFAULT = 1;
const MAX_RESULTS_LIMIT = 10;
/** How long a received DLQ message stays hidden while it is sent on and deleted, in seconds. */
const MOVE_VISIBILITY_TIMEOUT_SECONDS = 30;

/**
 * The errors these operations answer: `__type` of the JSON body, the code of the
 * `x-amzn-query-error` header (which the SDK's query-compatible JSON protocol names the error
 * by) and the HTTP status, as SQS sends them.
 */
const ERRORS = {
  InvalidParameterValue: { type: 'InvalidParameterValueException', queryCode: 'InvalidParameterValue', status: 400 },
  MissingParameter: { type: 'MissingParameter', queryCode: 'MissingParameter', status: 400 },
  ResourceNotFoundException: { type: 'ResourceNotFoundException', queryCode: 'ResourceNotFoundException', status: 404 },
  UnsupportedOperation: { type: 'UnsupportedOperation', queryCode: 'AWS.SimpleQueueService.UnsupportedOperation', status: 400 },
} as const;

type ErrorCode = keyof typeof ERRORS;

/** An SQS error answered to the caller in the AWS JSON 1.0 form. */
class SqsApiError extends Error {
  public constructor(
    public readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SqsApiError';
  }
}

interface MoveTask {
  readonly taskHandle: string;
  readonly sourceArn: string;
  readonly sourceUrl: string;
  /** As the caller gave it: ListMessageMoveTasks leaves it out when it was omitted, as SQS does. */
  readonly destinationArn: string | undefined;
  readonly destinationUrl: string;
  readonly maxNumberOfMessagesPerSecond: number | undefined;
  readonly toMove: number;
  /** Epoch milliseconds. */
  readonly startedTimestamp: number;
  /** Aborted by CancelMessageMoveTask or stop(): the task ends after its current step. */
  readonly abort: AbortController;
  status: MoveTaskStatus;
  moved: number;
  failureReason?: string;
}

type Input = Record<string, unknown>;

/**
 * fauxqs with SQS's message move tasks (StartMessageMoveTask, ListMessageMoveTasks,
 * CancelMessageMoveTask), which fauxqs 1.9.2 lacks: a proxy in front of fauxqs that answers
 * these three in the AWS JSON 1.0 wire format `@aws-sdk/client-sqs` speaks and forwards every
 * other request to fauxqs unchanged.
 *
 * A task moves messages the way SQS does: it receives up to 10 at a time from the dead-letter
 * queue, sends each to the destination with its body and message attributes, and deletes it from
 * the DLQ once sent; paced to MaxNumberOfMessagesPerSecond when given; until the DLQ is empty or
 * the DLQ's message count at the start has moved.
 *
 * Deviations from SQS:
 * - Without DestinationArn SQS moves each message back to the queue it came from; fauxqs does not
 *   record that, so this endpoint moves to the one queue whose redrive policy targets the DLQ, and
 *   refuses the start (UnsupportedOperation) when several queues share the DLQ.
 * - Standard queues only: message group and deduplication IDs are not carried over.
 * - Tasks live in this endpoint's memory until stop(), not 31 days.
 */
export class LocalSqsWithMoveTasks extends LocalHttpService {
  /** Newest first. */
  private readonly tasks: MoveTask[] = [];
  /** The moves under way, each settled when its task ends. */
  private readonly moves = new Set<Promise<void>>();
  private readonly agent = new Agent({ keepAlive: true });
  private readonly sqs: SQSClient;
  private stopping = false;

  /** @param fauxqsEndpoint the URL of the running fauxqs, e.g. `http://127.0.0.1:4566` */
  public constructor(private readonly fauxqsEndpoint: string) {
    super();
    this.sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fauxqsEndpoint, useQueueUrlAsEndpoint: false });
  }

  /** Stops listening, ends each running task after its current step, and waits for them. */
  public override async stop(): Promise<void> {
    this.stopping = true;
    await super.stop();
    for (const task of this.tasks) task.abort.abort();
    await Promise.all(this.moves);
    this.agent.destroy();
    this.sqs.destroy();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers['x-amz-target'];
    const operation = req.method === 'POST' && typeof target === 'string' ? MOVE_OPERATIONS[target] : undefined;
    if (!operation) return this.forward(req, res);
    const input = parseInput(await readBody(req));
    reply(res, 200, await this.answer(operation, input));
  }

  protected fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof SqsApiError) {
      const { type, queryCode, status } = ERRORS[error.code];
      reply(res, status, { __type: `com.amazonaws.sqs#${type}`, message: error.message }, { 'x-amzn-query-error': `${queryCode};Sender` });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    reply(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message }, { 'x-amzn-query-error': 'InternalError;Receiver' });
  }

  private answer(operation: MoveOperation, input: Input): Promise<object> {
    switch (operation) {
      case 'StartMessageMoveTask':
        return this.startTask(input);
      case 'ListMessageMoveTasks':
        return this.listTasks(input);
      case 'CancelMessageMoveTask':
        return this.cancelTask(input);
    }
  }

  private async startTask(input: Input): Promise<object> {
    const sourceArn = requiredArn(input, 'SourceArn');
    const destinationArn = optionalArn(input, 'DestinationArn');
    const rate = optionalInteger(input, 'MaxNumberOfMessagesPerSecond');
    if (rate !== undefined && (rate < 1 || rate > MAX_MESSAGES_PER_SECOND)) {
      throw new SqsApiError(
        'InvalidParameterValue',
        `Value ${rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and ${MAX_MESSAGES_PER_SECOND}.`,
      );
    }
    const sourceUrl = await this.queueUrl(sourceArn, 'SourceArn');
    const redriveSources = await this.queuesRedrivingTo(sourceArn);
    if (redriveSources.length === 0) throw new SqsApiError('InvalidParameterValue', 'Source queue must be configured as a Dead Letter Queue.');
    if (destinationArn === sourceArn) {
      throw new SqsApiError('InvalidParameterValue', 'Source queue arn and destination queue arn cannot be the same.');
    }
    let destinationUrl: string;
    if (destinationArn !== undefined) {
      destinationUrl = await this.queueUrl(destinationArn, 'DestinationArn');
    } else if (redriveSources.length === 1 && redriveSources[0]) {
      destinationUrl = redriveSources[0].url;
    } else {
      throw new SqsApiError(
        'UnsupportedOperation',
        `${redriveSources.length} queues use ${sourceArn} as their dead-letter queue: this local endpoint cannot tell ` +
          'which queue each message came from, so it needs DestinationArn',
      );
    }
    const toMove = await this.visibleMessages(sourceUrl);
    // Every await is behind us: the check and the insertion below run as one step, so two
    // concurrent starts cannot both pass the check.
    if (this.stopping) throw new Error('the local SQS endpoint is stopping');
    if (this.tasks.some((t) => t.sourceArn === sourceArn && (t.status === 'RUNNING' || t.status === 'CANCELLING'))) {
      throw new SqsApiError(
        'InvalidParameterValue',
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      );
    }
    const task: MoveTask = {
      taskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      sourceArn,
      sourceUrl,
      destinationArn,
      destinationUrl,
      maxNumberOfMessagesPerSecond: rate,
      toMove,
      startedTimestamp: Date.now(),
      abort: new AbortController(),
      status: 'RUNNING',
      moved: 0,
    };
    this.tasks.unshift(task);
    const move = this.run(task).finally(() => this.moves.delete(move));
    this.moves.add(move);
    return { TaskHandle: task.taskHandle };
  }

  private async listTasks(input: Input): Promise<object> {
    const sourceArn = requiredArn(input, 'SourceArn');
    const maxResults = optionalInteger(input, 'MaxResults') ?? MAX_RESULTS_DEFAULT;
    if (maxResults < 1 || maxResults > MAX_RESULTS_LIMIT) {
      throw new SqsApiError(
        'InvalidParameterValue',
        `Value ${maxResults} for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and ${MAX_RESULTS_LIMIT}.`,
      );
    }
    await this.queueUrl(sourceArn, 'SourceArn');
    const results = this.tasks
      .filter((t) => t.sourceArn === sourceArn)
      .slice(0, maxResults)
      .map((t) => ({
        ...(t.status === 'RUNNING' && { TaskHandle: t.taskHandle }),
        Status: t.status,
        SourceArn: t.sourceArn,
        ...(t.destinationArn !== undefined && { DestinationArn: t.destinationArn }),
        ...(t.maxNumberOfMessagesPerSecond !== undefined && { MaxNumberOfMessagesPerSecond: t.maxNumberOfMessagesPerSecond }),
        ApproximateNumberOfMessagesMoved: t.moved,
        ApproximateNumberOfMessagesToMove: t.toMove,
        ...(t.failureReason !== undefined && { FailureReason: t.failureReason }),
        StartedTimestamp: t.startedTimestamp,
      }));
    return { Results: results };
  }

  private async cancelTask(input: Input): Promise<object> {
    const taskHandle = input.TaskHandle;
    if (typeof taskHandle !== 'string') throw new SqsApiError('MissingParameter', 'The request must contain the parameter TaskHandle.');
    const sourceArn = sourceArnOfHandle(taskHandle);
    await this.queueUrl(sourceArn, 'SourceArn');
    const task = this.tasks.find((t) => t.taskHandle === taskHandle);
    if (!task) throw new SqsApiError('ResourceNotFoundException', 'Task does not exist.');
    if (task.status !== 'RUNNING') {
      throw new SqsApiError('UnsupportedOperation', `Only a RUNNING task can be cancelled; this one is ${task.status}.`);
    }
    task.status = 'CANCELLING';
    task.abort.abort();
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }

  /** Moves the task's messages step by step; never rejects: a failure ends the task FAILED. */
  private async run(task: MoveTask): Promise<void> {
    const { signal } = task.abort;
    const began = performance.now();
    try {
      while (!signal.aborted && task.moved < task.toMove) {
        const { Messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: task.sourceUrl,
            MaxNumberOfMessages: Math.min(10, task.toMove - task.moved, task.maxNumberOfMessagesPerSecond ?? 10),
            MessageAttributeNames: ['All'],
            VisibilityTimeout: MOVE_VISIBILITY_TIMEOUT_SECONDS,
            WaitTimeSeconds: 0,
          }),
        );
        if (Messages.length === 0) break;
        await this.moveBatch(task, Messages);
        if (task.maxNumberOfMessagesPerSecond !== undefined) {
          await pause(began + (task.moved * 1000) / task.maxNumberOfMessagesPerSecond - performance.now(), signal);
        }
      }
      task.status = signal.aborted ? 'CANCELLED' : 'COMPLETED';
    } catch (error) {
      task.status = 'FAILED';
      task.failureReason = failureReasonOf(error);
    }
  }

  /** Sends the messages to the destination, then deletes from the DLQ those that were sent. */
  private async moveBatch(task: MoveTask, messages: Message[]): Promise<void> {
    const { Successful = [], Failed = [] } = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: task.destinationUrl,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0 && { MessageAttributes: m.MessageAttributes }),
        })),
      }),
    );
    const sent = Successful.map((s) => messages[Number(s.Id)]).filter((m) => m !== undefined);
    if (sent.length > 0) {
      const deleted = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: task.sourceUrl,
          Entries: sent.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      task.moved += sent.length;
      const notDeleted = deleted.Failed?.[0];
      if (notDeleted) throw new Error(notDeleted.Code ?? 'DeleteMessageBatch failed');
    }
    const notSent = Failed[0];
    if (notSent) throw new Error(notSent.Code ?? 'SendMessageBatch failed');
  }

  /** The URL of the queue an ARN names; ResourceNotFoundException when there is none. */
  private async queueUrl(arn: string, parameter: 'SourceArn' | 'DestinationArn'): Promise<string> {
    try {
      const { QueueUrl } = await this.sqs.send(new GetQueueUrlCommand({ QueueName: arn.slice(arn.lastIndexOf(':') + 1) }));
      if (QueueUrl) return QueueUrl;
    } catch (error) {
      if (!(error instanceof QueueDoesNotExist)) throw error;
    }
    throw new SqsApiError('ResourceNotFoundException', `The resource that you specified for the ${parameter} parameter doesn't exist.`);
  }

  /** The queues whose redrive policy names this dead-letter queue. */
  private async queuesRedrivingTo(deadLetterArn: string): Promise<Array<{ url: string; arn: string }>> {
    const urls: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken }));
      urls.push(...(page.QueueUrls ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    const queues = await Promise.all(
      urls.map(async (url) => {
        const { Attributes = {} } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'RedrivePolicy'] }));
        const policy = Attributes.RedrivePolicy ? (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string }) : {};
        return { url, arn: Attributes.QueueArn ?? '', target: policy.deadLetterTargetArn };
      }),
    );
    return queues.filter((q) => q.target === deadLetterArn).map(({ url, arn }) => ({ url, arn }));
  }

  private async visibleMessages(queueUrl: string): Promise<number> {
    const { Attributes = {} } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(Attributes.ApproximateNumberOfMessages ?? 0);
  }

  /** Sends the request to fauxqs as it came (but for its Host header) and pipes the answer back as it came. */
  private forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      delete headers.host;
      const upstream = request(new URL(req.url ?? '/', this.fauxqsEndpoint), { method: req.method, headers, agent: this.agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
        answer.on('error', reject);
        res.on('finish', resolve);
        res.on('close', resolve);
        answer.pipe(res);
      });
      upstream.on('error', reject);
      req.pipe(upstream);
    });
  }
}

function reply(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), ...headers })
    .end(JSON.stringify(payload));
}

function parseInput(body: string): Input {
  let input: unknown;
  try {
    input = JSON.parse(body === '' ? '{}' : body);
  } catch {
    throw new SqsApiError('InvalidParameterValue', 'The request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SqsApiError('InvalidParameterValue', 'The request body must be a JSON object.');
  }
  return input as Input;
}

const ARN = /^arn:[^:]+:sqs:[^:]*:[^:]*:[^:]+$/;

function requiredArn(input: Input, name: 'SourceArn'): string {
  const arn = optionalArn(input, name);
  if (arn === undefined) throw new SqsApiError('MissingParameter', `The request must contain the parameter ${name}.`);
  return arn;
}

function optionalArn(input: Input, name: 'SourceArn' | 'DestinationArn'): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !ARN.test(value)) {
    throw new SqsApiError('InvalidParameterValue', `You must use this format to specify the ${name}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>`);
  }
  return value;
}

function optionalInteger(input: Input, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new SqsApiError('InvalidParameterValue', `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: Must be an integer.`);
  }
  return value;
}

/** The source ARN a task handle carries (SQS's handles are base64 JSON of the task ID and source ARN). */
function sourceArnOfHandle(taskHandle: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(taskHandle, 'base64').toString('utf8')) as { taskId?: unknown; sourceArn?: unknown };
    if (typeof decoded.taskId === 'string' && typeof decoded.sourceArn === 'string' && ARN.test(decoded.sourceArn)) return decoded.sourceArn;
  } catch {
    // Not base64 JSON: answered below.
  }
  throw new SqsApiError('InvalidParameterValue', 'Value for parameter TaskHandle is invalid.');
}

/** What ListMessageMoveTasks shows of a failure: the SQS error code, as SQS shows it. */
function failureReasonOf(error: unknown): string {
  if (error instanceof Error) {
    const { Code } = error as { Code?: unknown };
    return typeof Code === 'string' ? Code : error.message;
  }
  return String(error);
}

/** Waits `ms` (nothing when not positive), or less when `signal` aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // Aborted: the task ends after this step.
  }
}
