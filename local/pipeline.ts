import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, PublishBatchCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { processFeedbackEnvironment } from '../lambdas/contract.js';
import { DEFAULTS, PROCESSING } from '../lib/defaults.js';
import { killOnExit, LOCAL_CLIENT_CONFIG, startDynamoDbLocal, stopChild, type RunningService } from './dynamodb-local.js';
import { startFauxqs } from './fauxqs.js';
import { createFeedbackTable } from './feedback-table.js';
import { LocalSes, type LocalSesOptions } from './ses-server.js';

export interface LocalPipelineOptions {
  /** The local SES endpoint's rate limit and faults. @default SES's 1 request/s, no faults */
  readonly ses?: LocalSesOptions;
  /**
   * Local time runs this many times faster than the stack's: every duration (function timeout,
   * suppression lease, visibility timeout) is divided by it and every rate (SES's 1 request/s, the
   * handler's share of it) multiplied, so function timeout < lease < visibility timeout and the
   * SES calls one invocation can make all hold as in AWS.
   * @default 10 (SES 10 requests/s, timeout 6 s, lease 9 s, visibility timeout 36 s)
   */
  readonly timeCompression?: number;
  /** Where the worker's logs go. @default .local/logs */
  readonly logDir?: string;
  /** AWS SDK attempts per call in the handler (the stack sets 8). Fewer let injected faults reach the handler. */
  readonly sdkMaxAttempts?: number;
  /** Receives before the queue moves a message to the DLQ. @default the stack's (5) */
  readonly maxReceiveCount?: number;
}

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
}

/**
 * The whole pipeline on this machine: DynamoDB Local, fauxqs (SNS + SQS), the local SESv2
 * endpoint, and the real process-feedback handler in a worker process, wired like the stack:
 * topic → queue (redrive to DLQ after maxReceiveCount) → handler → table, suppression list, DLQ.
 * Settings come from lib/defaults.ts and the shared table layout, not from a second copy.
 */
export class LocalPipeline {
  public readonly sns: SNSClient;
  public readonly sqs: SQSClient;
  public readonly dynamodb: DynamoDBClient;
  private worker: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private starting: Promise<ChildProcess> | undefined;
  private stopping = false;
  /** Times the worker died (timeout, kill) and was started again, as Lambda starts a new sandbox. */
  public restarts = 0;

  private constructor(
    private readonly services: { dynamo: RunningService; fauxqs: RunningService },
    public readonly ses: LocalSes,
    public readonly sesEndpoint: string,
    public readonly resources: { topicArn: string; queueUrl: string; queueArn: string; deadLetterQueueUrl: string; tableName: string },
    private readonly options: LocalPipelineOptions,
  ) {
    this.sns = new SNSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: services.fauxqs.endpoint });
    this.sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: services.fauxqs.endpoint, useQueueUrlAsEndpoint: false });
    this.dynamodb = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: services.dynamo.endpoint });
  }

  /** Starts every service and creates the resources. Stop it with {@link stop}, always. */
  public static async start(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
    const started: Array<{ stop(): Promise<void> }> = [];
    try {
      const compression = options.timeCompression ?? DEFAULT_COMPRESSION;
      const ses = new LocalSes({ ...options.ses, requestsPerSecond: options.ses?.requestsPerSecond ?? PROCESSING.sesAccountRequestsPerSecond * compression });
      const sesEndpoint = await ses.start();
      started.push(ses);
      // Start both at once; whichever started is stopped again if the other fails.
      const [dynamoResult, fauxqsResult] = await Promise.allSettled([startDynamoDbLocal(), startFauxqs()]);
      for (const result of [dynamoResult, fauxqsResult]) if (result.status === 'fulfilled') started.push(result.value);
      if (dynamoResult.status === 'rejected') throw dynamoResult.reason;
      if (fauxqsResult.status === 'rejected') throw fauxqsResult.reason;
      const [dynamo, fauxqs] = [dynamoResult.value, fauxqsResult.value];
      const resources = await createResources(fauxqs.endpoint, dynamo.endpoint, compression, options.maxReceiveCount ?? DEFAULTS.maxReceiveCount);
      return new LocalPipeline({ dynamo, fauxqs }, ses, sesEndpoint, resources, options);
    } catch (error) {
      await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
      throw error;
    }
  }

  /** The environment the worker runs the handler with: what the stack sets, plus local endpoints. */
  public handlerEnvironment(): Record<string, string> {
    const compression = this.options.timeCompression ?? DEFAULT_COMPRESSION;
    return {
      ...processFeedbackEnvironment({
        tableName: this.resources.tableName,
        deadLetterQueueUrl: this.resources.deadLetterQueueUrl,
        softBounceThreshold: DEFAULTS.softBounceThreshold,
        softBounceWindowInDays: DEFAULTS.softBounceWindow.toDays(),
        eventRetentionInDays: DEFAULTS.eventRetention.toDays(),
        campaignTagName: DEFAULTS.campaignTagName,
        suppressionLeaseInSeconds: PROCESSING.suppressionLease.toSeconds() / compression,
        sesRequestsPerSecond: (PROCESSING.sesAccountRequestsPerSecond / PROCESSING.maxConcurrency) * compression,
        sdkRetryMode: PROCESSING.sdkRetryMode,
        sdkMaxAttempts: this.options.sdkMaxAttempts ?? PROCESSING.sdkMaxAttempts,
      }),
      LOCAL_FUNCTION_TIMEOUT_MS: String((PROCESSING.timeout.toMilliseconds() / compression).toFixed(0)),
      AWS_REGION: LOCAL_CLIENT_CONFIG.region,
      AWS_ACCESS_KEY_ID: LOCAL_CLIENT_CONFIG.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CLIENT_CONFIG.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: this.services.dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: this.services.fauxqs.endpoint,
      AWS_ENDPOINT_URL_SESV2: this.sesEndpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LOCAL_QUEUE_URL: this.resources.queueUrl,
      LOCAL_QUEUE_ARN: this.resources.queueArn,
      LOCAL_POLLERS: String(PROCESSING.maxConcurrency),
      LOCAL_BATCH_SIZE: String(PROCESSING.batchSize),
    };
  }

  /**
   * Starts the worker process that runs the real handler against the queue, unless one runs. A
   * worker that dies (function timeout, kill) is started again, as Lambda starts a new sandbox.
   */
  public async startWorker(): Promise<ChildProcess> {
    if (this.worker && this.worker.exitCode === null && this.worker.signalCode === null) return this.worker;
    this.starting ??= this.spawnWorker().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async spawnWorker(): Promise<ChildProcess> {
    const logDir = this.options.logDir ?? join(process.cwd(), '.local', 'logs');
    mkdirSync(logDir, { recursive: true });
    const log = (this.log ??= createWriteStream(join(logDir, 'process-feedback.log'), { flags: 'a' }));
    const worker = fork(join(__dirname, 'worker.ts'), [], {
      execArgv: ['--require', require.resolve('tsx/cjs')],
      env: { PATH: process.env.PATH, ...this.handlerEnvironment() },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    killOnExit(worker);
    // One log for every worker the run starts; a pipe must not close it when its worker ends.
    worker.stdout?.pipe(log, { end: false });
    worker.stderr?.pipe(log, { end: false });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('exit', (code) => reject(new Error(`the worker exited during start-up (code ${code}); see ${logDir}`)));
    });
    worker.once('exit', () => {
      if (this.stopping) return;
      this.restarts++;
      void this.startWorker().catch(() => undefined);
    });
    this.worker = worker;
    return worker;
  }

  /** Kills the worker at once, as a crashed Lambda ends; a new one starts by itself. */
  public killWorker(): void {
    this.worker?.kill('SIGKILL');
  }

  public async stopWorker(): Promise<void> {
    this.stopping = true;
    await this.starting?.catch(() => undefined);
    if (this.worker) await stopChild(this.worker);
    this.log?.end();
  }

  /** Publishes SES messages (JSON text) to the feedback topic, as SES does, 10 per call. */
  public async publish(messages: string[], onProgress?: (published: number) => void): Promise<void> {
    const inFlight = new Set<Promise<unknown>>();
    let published = 0;
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      const call = (batch.length === 1
        ? this.sns.send(new PublishCommand({ TopicArn: this.resources.topicArn, Message: batch[0] }))
        : this.sns.send(new PublishBatchCommand({ TopicArn: this.resources.topicArn, PublishBatchRequestEntries: batch.map((Message, id) => ({ Id: String(id), Message })) }))
      ).then(() => {
        published += batch.length;
        onProgress?.(published);
      });
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
      if (inFlight.size >= 16) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  }

  public async depth(queueUrl = this.resources.queueUrl): Promise<QueueDepth> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { visible: Number(Attributes.ApproximateNumberOfMessages ?? 0), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) };
  }

  /** Waits until the queue is empty (nothing visible, nothing in flight), with a progress callback. */
  public async drain(timeoutMs: number, onProgress?: (depth: QueueDepth) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let emptyChecks = 0;
    while (emptyChecks < 2) {
      if (Date.now() > deadline) throw new Error(`the queue did not drain within ${timeoutMs / 1000} s`);
      const depth = await this.depth();
      onProgress?.(depth);
      emptyChecks = depth.visible + depth.inFlight === 0 ? emptyChecks + 1 : 0;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Every message in the dead-letter queue, with its failure reason when the handler parked it. */
  public async deadLetters(): Promise<Array<{ body: string; reason?: string }>> {
    const seen = new Map<string, { body: string; reason?: string }>();
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.resources.deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60, MessageAttributeNames: ['All'] }),
      );
      if (Messages.length === 0) empty++;
      for (const m of Messages) seen.set(m.MessageId ?? '', { body: m.Body ?? '', reason: m.MessageAttributes?.failureReason?.StringValue });
    }
    return [...seen.values()];
  }

  /** Stops the worker and every service, and waits until their processes have exited. */
  public async stop(): Promise<void> {
    await this.stopWorker().catch(() => undefined);
    this.sns.destroy();
    this.sqs.destroy();
    this.dynamodb.destroy();
    await Promise.all([this.ses.stop(), this.services.dynamo.stop(), this.services.fauxqs.stop()]);
  }
}

const DEFAULT_COMPRESSION = 10;

async function createResources(fauxqsEndpoint: string, dynamoEndpoint: string, compression: number, maxReceiveCount: number) {
  const sns = new SNSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fauxqsEndpoint });
  const sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fauxqsEndpoint, useQueueUrlAsEndpoint: false });
  const dynamodb = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: dynamoEndpoint });
  try {
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ses-feedback-dlq' }))).QueueUrl ?? '';
    const dlqArn = await queueArn(sqs, dlqUrl);
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'ses-feedback',
        Attributes: {
          VisibilityTimeout: String(Math.max(1, Math.round(PROCESSING.visibilityTimeout.toSeconds() / compression))),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
        },
      }),
    );
    const queueUrl = created.QueueUrl ?? '';
    const arn = await queueArn(sqs, queueUrl);
    const topic = await sns.send(new CreateTopicCommand({ Name: 'ses-feedback' }));
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: arn }));
    const tableName = 'ses-feedback';
    await createFeedbackTable(dynamodb, tableName);
    return { topicArn: topic.TopicArn ?? '', queueUrl, queueArn: arn, deadLetterQueueUrl: dlqUrl, tableName };
  } finally {
    sns.destroy();
    sqs.destroy();
    dynamodb.destroy();
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  if (!Attributes.QueueArn) throw new Error(`no ARN for queue ${queueUrl}`);
  return Attributes.QueueArn;
}
