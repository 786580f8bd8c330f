import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalEndpoints } from '../cli/local-endpoints.js';
import { DEFAULT_MANAGED_CONFIGURATION_SETS } from '../lambdas/shared/contract.js';
import { DEFAULT_SETTINGS, SUPPRESSION_WRITER_SETTINGS } from '../lambdas/shared/settings.js';
import type { SuppressionMessage } from '../lambdas/shared/suppression.js';
import { LOCAL_ACCOUNT } from './call-authorization.js';
import { CallMeter, type MeteredService } from './call-meter.js';
import { lambdaEventMessages } from '../lambdas/process-feedback/envelope.js';
import { LocalCloudWatch } from './cloudwatch.js';
import { LOCAL_CLIENT_CONFIG, startDynamoDbLocal, type RunningService } from './dynamodb-local.js';
import { LocalEventBus } from './event-bus.js';
import { LocalSqsWithMoveTasks } from './sqs-move-tasks.js';
import { PROBATION_CHECK_EVENT } from '../lambdas/shared/contract.js';
import { startFauxqs } from './fauxqs.js';
import { functionEnvironment, suppressionBatchingWindowInSeconds } from './function-environment.js';
import { forkEntry, FunctionWorker, type InvocationStats, type LocalFunction } from './function-worker.js';
import { alarmStateChangeEvent, contributorStateChangeEvent, localConfigurationSets, localGuardrailSettings, localReputationAlarms } from './reputation-alarms.js';
import type { LocalPipelineOptions } from './pipeline-options.js';
import { createResources, type LocalResources } from './resources.js';
import { LocalSes } from './ses-server.js';

export type { FunctionName, InvocationStats, LocalFunction } from './function-worker.js';
export type { LocalResources } from './resources.js';
export type { LocalPipelineOptions } from './pipeline-options.js';

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  /** Sent with a delay that has not passed yet (the writer's follow-up looks at import jobs). */
  readonly delayed: number;
}

/**
 * The whole pipeline on this machine: DynamoDB Local, fauxqs (SNS, SQS, S3), the local SESv2
 * endpoint, and the real functions in worker processes, wired like the stack: topic → queue
 * (redrive to DLQ after maxReceiveCount) → process-feedback → table, DLQ, suppression queue →
 * write-suppressions → SES (single calls, or import files in S3 + import jobs), table, DLQ.
 * Settings come from lib/defaults.ts and the shared contract, not from a second copy.
 */
export class LocalPipeline {
  public readonly sns: SNSClient;
  public readonly sqs: SQSClient;
  public readonly dynamodb: DynamoDBClient;
  public readonly s3: S3Client;
  private readonly workers = new Map<LocalFunction, FunctionWorker>();
  private endpointsFile: string | undefined;

  private readonly startedAt = new Date();

  private constructor(
    /** `sqsWithMoveTasks`: fauxqs behind the endpoint that adds SQS's message move tasks, for the operator CLI's redrive. */
    private readonly services: { dynamo: RunningService; fauxqs: RunningService; sqsWithMoveTasks: { readonly server: LocalSqsWithMoveTasks; readonly endpoint: string } },
    public readonly ses: LocalSes,
    public readonly sesEndpoint: string,
    /** The account's default event bus: "Address Suppressed" events land here. */
    public readonly events: { readonly bus: LocalEventBus; readonly endpoint: string },
    /** SES's reputation metrics, as the watcher reads them (set `server.rates`). */
    public readonly cloudwatch: { readonly server: LocalCloudWatch; readonly endpoint: string },
    public readonly resources: LocalResources,
    private readonly options: LocalPipelineOptions,
    /** Counts the functions' AWS calls, when started with `meter: true`. */
    public readonly meter?: { readonly calls: CallMeter; readonly endpoints: Record<MeteredService, string> },
  ) {
    this.sns = new SNSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: services.fauxqs.endpoint });
    this.sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: services.fauxqs.endpoint, useQueueUrlAsEndpoint: false });
    this.dynamodb = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: services.dynamo.endpoint });
    this.s3 = new S3Client({ ...LOCAL_CLIENT_CONFIG, endpoint: services.fauxqs.endpoint });
  }

  /**
   * Sandboxes that ended while the pipeline ran (an invocation's timeout, a crash, a kill); each is
   * replaced when an invocation needs one, as Lambda starts a new sandbox.
   */
  public get restarts(): number {
    return [...this.workers.values()].reduce((sum, w) => sum + w.restarts, 0);
  }

  /** Where the local services listen, for the operator CLI (`--local`). */
  public endpoints(): LocalEndpoints {
    return {
      region: LOCAL_CLIENT_CONFIG.region,
      dynamodb: this.services.dynamo.endpoint,
      // With message move tasks: `dead-letters redrive --local` starts one.
      sqs: this.services.sqsWithMoveTasks.endpoint,
      s3: this.services.fauxqs.endpoint,
      sesv2: this.sesEndpoint,
      cloudwatch: this.cloudwatch.endpoint,
      alarmNames: [...this.cloudwatch.server.alarms.keys()],
      configurationSetNames: [...this.ses.configurationSets.keys()],
      sesRequestsPerSecond: SUPPRESSION_WRITER_SETTINGS.sesAccountRequestsPerSecond * (this.options.timeCompression ?? DEFAULT_COMPRESSION),
      resources: this.resources,
      startedAt: this.startedAt.toISOString(),
    };
  }

  /** Writes {@link endpoints} where `ses-feedback --local` finds them (removed again by {@link stop}). */
  public writeEndpointsFile(file: string): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(this.endpoints(), null, 2));
    this.endpointsFile = file;
  }

  /** Starts every service and creates the resources. Stop it with {@link stop}, always. */
  public static async start(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
    const started: Array<{ stop(): Promise<void> }> = [];
    try {
      const compression = options.timeCompression ?? DEFAULT_COMPRESSION;
      // The endpoint reads import files through the pipeline's S3 client, which exists only later.
      const clients: { s3?: S3Client } = {};
      const ses = new LocalSes({
        ...options.ses,
        requestsPerSecond: options.ses?.requestsPerSecond ?? SUPPRESSION_WRITER_SETTINGS.sesAccountRequestsPerSecond * compression,
        readObject: async (bucket, key) => {
          const object = await clients.s3?.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return (await object?.Body?.transformToString('utf8')) ?? '';
        },
      });
      // The configuration sets the deploy creates exist, sending and tagged, as `cdk deploy` leaves them.
      for (const [name, set] of localConfigurationSets(options.managedConfigurationSets ?? DEFAULT_MANAGED_CONFIGURATION_SETS)) ses.configurationSets.set(name, set);
      const sesEndpoint = await ses.start();
      started.push(ses);
      const bus = new LocalEventBus(options.eventBus);
      const busEndpoint = await bus.start();
      started.push(bus);
      const cloudwatch = new LocalCloudWatch();
      for (const alarm of localReputationAlarms()) cloudwatch.alarms.set(alarm.name, alarm);
      const cloudwatchEndpoint = await cloudwatch.start();
      started.push(cloudwatch);
      // Start both at once; whichever started is stopped again if the other fails.
      const [dynamoResult, fauxqsResult] = await Promise.allSettled([startDynamoDbLocal(), startFauxqs()]);
      for (const result of [dynamoResult, fauxqsResult]) if (result.status === 'fulfilled') started.push(result.value);
      if (dynamoResult.status === 'rejected') throw dynamoResult.reason;
      if (fauxqsResult.status === 'rejected') throw fauxqsResult.reason;
      const [dynamo, fauxqs] = [dynamoResult.value, fauxqsResult.value];
      const moveTasks = new LocalSqsWithMoveTasks(fauxqs.endpoint);
      const sqsWithMoveTasks = { server: moveTasks, endpoint: await moveTasks.start() };
      started.push(moveTasks);
      const resources = await createResources(fauxqs.endpoint, dynamo.endpoint, {
        compression,
        maxReceiveCount: options.maxReceiveCount ?? DEFAULT_SETTINGS.maxReceiveCount,
        suppressionBatchingWindowInSeconds: suppressionBatchingWindowInSeconds(options),
      });
      let meter: { calls: CallMeter; endpoints: Record<MeteredService, string> } | undefined;
      if (options.meter) {
        const calls = new CallMeter();
        started.push(calls);
        const targets = { dynamodb: dynamo.endpoint, sqs: fauxqs.endpoint, s3: fauxqs.endpoint, sesv2: sesEndpoint, eventbridge: busEndpoint, sns: fauxqs.endpoint, cloudwatch: cloudwatchEndpoint };
        meter = { calls, endpoints: await calls.start(targets) };
      }
      const pipeline = new LocalPipeline({ dynamo, fauxqs, sqsWithMoveTasks }, ses, sesEndpoint, { bus, endpoint: busEndpoint }, { server: cloudwatch, endpoint: cloudwatchEndpoint }, resources, options, meter);
      clients.s3 = pipeline.s3;
      LocalPipeline.running.add(pipeline);
      return pipeline;
    } catch (error) {
      await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
      throw error;
    }
  }

  /** The environment a worker runs a function with: what the stack sets, plus local endpoints. */
  public handlerEnvironment(fn: LocalFunction | 'watch-reputation' | 'pause-sending' = 'process-feedback'): Record<string, string> {
    const direct: Record<MeteredService, string> = {
      dynamodb: this.services.dynamo.endpoint,
      sqs: this.services.fauxqs.endpoint,
      s3: this.services.fauxqs.endpoint,
      sesv2: this.sesEndpoint,
      eventbridge: this.events.endpoint,
      sns: this.services.fauxqs.endpoint,
      cloudwatch: this.cloudwatch.endpoint,
    };
    return functionEnvironment(fn, {
      resources: this.resources,
      options: this.options,
      compression: this.options.timeCompression ?? DEFAULT_COMPRESSION,
      endpoints: this.meter?.endpoints ?? direct,
    });
  }

  /**
   * Starts each SQS-fed function's event source (unless running): its pollers run here, and each
   * invocation runs the real handler in a sandbox process of its own (see {@link FunctionWorker}).
   */
  public async startWorker(): Promise<void> {
    for (const fn of ['process-feedback', 'write-suppressions'] as const) {
      if (!this.workers.has(fn)) this.workers.set(fn, new FunctionWorker(fn, this.handlerEnvironment(fn), this.logDir));
    }
    await Promise.all([...this.workers.values()].map((w) => w.start()));
  }

  /**
   * Runs the reputation watcher once, as its schedule invokes it: the real entry in a process of
   * its own, with the environment the stack sets. Resolves with what the handler returned.
   */
  public watchReputation(): Promise<unknown> {
    return this.invokeOnce('watch-reputation', { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
  }

  /**
   * Puts the expiry tick on the writer's queue, as the stack's hourly EventBridge schedule does:
   * the running writer then takes the temporary suppressions that are due off the list.
   */
  public async expireSuppressions(): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.resources.suppressionQueueUrl, MessageBody: JSON.stringify({ type: 'expire' } satisfies SuppressionMessage) }));
  }

  /**
   * Plays CloudWatch evaluating the stack's per-set reputation alarms on these rates (fractions, by
   * configuration set, as SES's per-set `Reputation.*` metrics would read): each set's contributor
   * of each alarm takes its state, and the alarm is in ALARM while any contributor is. Each change
   * to ALARM sends its event to the guardrail, as the stack's EventBridge rule does: the alarm's own
   * "CloudWatch Alarm State Change" first, then a "CloudWatch Alarm Contributor State Change" per
   * set that crossed. Resolves with what the guardrail did, one outcome per event.
   */
  public async raiseReputationAlarms(rates: Readonly<Record<string, { readonly bounce: number; readonly complaint: number }>>, at = new Date()): Promise<unknown[]> {
    const events: unknown[] = [];
    const { region } = LOCAL_CLIENT_CONFIG;
    // The stack's rule sends the guardrail the critical alarms' events only.
    const guarded = new Set(localGuardrailSettings().alarms.map((a) => a.alarmName));
    for (const [set, rate] of Object.entries(rates)) this.cloudwatch.server.setRates.set(set, rate);
    for (const alarm of this.cloudwatch.server.alarms.values()) {
      if (alarm.contributors === undefined) continue;
      const crossed: Array<[string, number]> = [];
      for (const [set, rate] of Object.entries(rates)) {
        const value = alarm.metricName === 'Reputation.BounceRate' ? rate.bounce : rate.complaint;
        const state = value >= alarm.threshold ? 'ALARM' : 'OK';
        if (state === 'ALARM' && alarm.contributors.get(set) !== 'ALARM') crossed.push([set, value]);
        alarm.contributors.set(set, state);
      }
      const previous = alarm.state;
      alarm.state = [...alarm.contributors.values()].includes('ALARM') ? 'ALARM' : 'OK';
      const highest = Math.max(...crossed.map(([, value]) => value));
      if (!guarded.has(alarm.name)) continue;
      if (alarm.state === 'ALARM' && previous !== 'ALARM') events.push(alarmStateChangeEvent(alarm, previous, highest, at, region, LOCAL_ACCOUNT));
      for (const [set, value] of crossed) events.push(contributorStateChangeEvent(alarm, set, value, at, region, LOCAL_ACCOUNT));
    }
    const outcomes: unknown[] = [];
    for (const event of events) outcomes.push(await this.invokeOnce('pause-sending', event));
    return outcomes;
  }

  /**
   * The guardrail's look at the sets on probation, as the stack's 15-minute schedule makes it: each
   * judged on its rates since the resume (the local CloudWatch's per-set rates, which
   * {@link raiseReputationAlarms} sets). Resolves with what it did.
   */
  public async checkProbations(): Promise<unknown> {
    return this.invokeOnce('pause-sending', PROBATION_CHECK_EVENT);
  }

  /** Runs a function's real entry once on `event`, in a process of its own with the stack's environment. */
  private async invokeOnce(fn: 'watch-reputation' | 'pause-sending', event: unknown): Promise<unknown> {
    mkdirSync(this.logDir, { recursive: true });
    const child = forkEntry('invoke-once.ts', { ...this.handlerEnvironment(fn), LOCAL_EVENT: JSON.stringify(event) });
    const log = createWriteStream(join(this.logDir, `${fn}.log`), { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new Promise((resolve, reject) => {
      child.once('message', (message: { result?: unknown; error?: string }) =>
        message.error === undefined ? resolve(message.result) : reject(new Error(`${fn} failed: ${message.error}`)),
      );
      child.once('exit', (code) => reject(new Error(`${fn} exited (code ${code}) without an answer; see ${this.logDir}`)));
    });
  }

  private get logDir(): string {
    return this.options.logDir ?? join(process.cwd(), '.local', 'logs');
  }

  /** Invocations per function so far, with their records and summed duration. */
  public invocations(): Record<LocalFunction, InvocationStats> {
    const none = (): InvocationStats => ({ invocations: 0, records: 0, durationMs: 0 });
    return {
      'process-feedback': this.workers.get('process-feedback')?.stats ?? none(),
      'write-suppressions': this.workers.get('write-suppressions')?.stats ?? none(),
    };
  }

  /** Kills every sandbox of a function at once, as crashed sandboxes end; new ones start as invocations need them. */
  public killWorker(fn: LocalFunction = 'process-feedback'): void {
    this.workers.get(fn)?.kill();
  }

  /** Stops polling, lets the invocations in flight end (by their timeout at the latest) and ends every sandbox. */
  public async stopWorker(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
  }

  /**
   * Publishes SES messages (JSON text) to the feedback topic, as SES does, 10 per call. A captured
   * Lambda event is unwrapped first (see {@link lambdaEventMessages}), so replaying what the
   * function received gives it the same.
   */
  public async publish(lines: string[], onProgress?: (published: number) => void): Promise<void> {
    const messages = lines.flatMap((line) => lambdaEventMessages(line) ?? [line]);
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
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  /** Every work queue's depth added up: zero when no work is left anywhere in the pipeline. */
  public async totalDepth(): Promise<QueueDepth> {
    const { queueUrl, suppressionQueueUrl } = this.resources;
    const depths = await Promise.all([queueUrl, suppressionQueueUrl].map((url) => this.depth(url)));
    return depths.reduce((a, b) => ({ visible: a.visible + b.visible, inFlight: a.inFlight + b.inFlight, delayed: a.delayed + b.delayed }));
  }

  /**
   * Waits until every work queue is empty (nothing visible, in flight or delayed: every suppression
   * written, every import job settled), with a progress callback.
   */
  public async drain(timeoutMs: number, onProgress?: (depth: QueueDepth) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let emptyChecks = 0;
    while (emptyChecks < 2) {
      if (Date.now() > deadline) throw new Error(`the queues did not drain within ${timeoutMs / 1000} s`);
      const depth = await this.totalDepth();
      onProgress?.(depth);
      emptyChecks = depth.visible + depth.inFlight + depth.delayed === 0 ? emptyChecks + 1 : 0;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Every message in both dead-letter queues (the feedback queue's, then the suppression queue's),
   * with its failure reason when a handler parked it. Read with a visibility timeout of a minute:
   * they are back in their queue after that.
   */
  public async deadLetters(): Promise<Array<{ body: string; reason?: string; queue: 'feedback' | 'suppressions' }>> {
    const seen = new Map<string, { body: string; reason?: string; queue: 'feedback' | 'suppressions' }>();
    for (const [queue, url] of [['feedback', this.resources.deadLetterQueueUrl], ['suppressions', this.resources.suppressionDeadLetterQueueUrl]] as const) {
      for (let empty = 0; empty < 2; ) {
        const { Messages = [] } = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60, MessageAttributeNames: ['All'] }));
        if (Messages.length === 0) empty++;
        for (const m of Messages) seen.set(m.MessageId ?? '', { body: m.Body ?? '', reason: m.MessageAttributes?.failureReason?.StringValue, queue });
      }
    }
    return [...seen.values()];
  }

  /** Pipelines started and not yet stopped in this process. */
  private static readonly running = new Set<LocalPipeline>();

  /**
   * Stops every pipeline this process started and has not stopped: the integration tests' last
   * hook, so a test that timed out (jest goes on without it) leaves no service running.
   */
  public static async stopAll(): Promise<void> {
    await Promise.all([...LocalPipeline.running].map((pipeline) => pipeline.stop()));
  }

  /** Stops the worker and every service, and waits until their processes have exited (once: a second call does nothing). */
  public async stop(): Promise<void> {
    if (!LocalPipeline.running.delete(this)) return;
    if (this.endpointsFile) rmSync(this.endpointsFile, { force: true });
    await this.stopWorker().catch(() => undefined);
    this.sns.destroy();
    this.sqs.destroy();
    this.dynamodb.destroy();
    this.s3.destroy();
    await this.services.sqsWithMoveTasks.server.stop();
    await Promise.all([this.ses.stop(), this.events.bus.stop(), this.cloudwatch.server.stop(), this.services.dynamo.stop(), this.services.fauxqs.stop(), this.meter?.calls.stop()]);
  }
}

const DEFAULT_COMPRESSION = 10;

