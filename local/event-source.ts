import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** Lambda's invocation payload limit, and roughly what each SQS record adds to its body in the event. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const RECORD_OVERHEAD_BYTES = 700;

/** Runs one invocation of the function on `event`: its response, or a rejection when it threw, timed out or crashed. */
export type Invoke = (event: SQSEvent) => Promise<SQSBatchResponse>;

export interface EventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly invoke: Invoke;
  /** Pollers running at once (the stack's maxConcurrency). */
  readonly concurrency: number;
  readonly batchSize: number;
  /**
   * Lambda's MaximumBatchingWindowInSeconds: keep receiving until `batchSize` records, this long
   * since the first one, or 6 MB of payload. @default 0 (invoke with what one receive returns)
   */
  readonly maxBatchingWindowMs?: number;
}

/**
 * What Lambda's SQS event source does, on a local queue: receive up to `batchSize` messages,
 * invoke the handler, delete the records it did not report as failed; failed records (and a whole
 * batch whose invocation threw) reappear after the visibility timeout, and the queue's redrive
 * policy moves them to the DLQ after maxReceiveCount receives. Where the invocation runs (and how
 * its timeout ends it) is `invoke`'s business.
 */
export class LocalEventSource {
  private running = false;
  private loops: Promise<void>[] = [];
  public constructor(private readonly options: EventSourceOptions) {}

  /** How many pollers run at once. */
  public get concurrency(): number {
    return this.options.concurrency;
  }

  public start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency }, () => this.loop());
  }

  public async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.pollOnce();
      } catch (error) {
        // Lambda's poller outlives a failed receive or delete; so does this one.
        console.error(`event source: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async pollOnce(): Promise<void> {
    const { sqs, queueUrl, invoke } = this.options;
    const messages = await this.gather();
    if (messages.length === 0) return;
    let failed: Set<string>;
    try {
      const response = await invoke({ Records: messages.map((m) => this.toRecord(m)) });
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      return; // the invocation failed: every record comes back after the visibility timeout
    }
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    for (let i = 0; i < done.length; i += 10) {
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })) }),
      );
    }
  }

  /** Receives one batch the way Lambda's poller does (see {@link EventSourceOptions.maxBatchingWindowMs}). */
  private async gather(): Promise<Message[]> {
    const { sqs, queueUrl, batchSize, maxBatchingWindowMs = 0 } = this.options;
    const messages: Message[] = [];
    let bytes = 0;
    let deadline = Infinity;
    while (this.running && messages.length < batchSize && bytes < MAX_PAYLOAD_BYTES && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length > 0 && messages.length === 0) deadline = Date.now() + maxBatchingWindowMs;
      messages.push(...Messages);
      bytes += Messages.reduce((sum, m) => sum + (m.Body?.length ?? 0) + RECORD_OVERHEAD_BYTES, 0);
      if (maxBatchingWindowMs === 0 && messages.length > 0) break;
      if (messages.length === 0) break;
    }
    return messages;
  }

  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: 'us-east-1',
    };
  }
}
