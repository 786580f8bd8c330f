import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ENTRIES_PER_MESSAGE } from '../contract.js';
import { chunk, type ImportJobRef, type SuppressionEntry, type SuppressionMessage } from '../suppression.js';
import { type SuppressionQueue, type SuppressionRequests } from '../ports.js';

/** SQS's longest message delay. */
const MAX_DELAY_SECONDS = 900;
/** SQS's limits per SendMessageBatch call: 10 messages, and (conservatively) 256 KiB in all. */
const BATCH_MESSAGES = 10;
const BATCH_BYTES = 256 * 1024;

/**
 * The writer's one queue: the feedback processor (and the operator CLI) hand work over on it, one
 * message per invocation, not one per address; the writer retries rows on it, schedules its next
 * look at an import job as a delayed message, and hands back what a run did not reach. It is read
 * with a batching window.
 */
export class SqsSuppressionQueue implements SuppressionQueue, SuppressionRequests {
  public constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  public async request(entries: readonly SuppressionEntry[]): Promise<void> {
    await this.retry(entries, 1);
  }

  public async withdraw(addresses: readonly string[], attempt = 1): Promise<void> {
    await this.requeue(chunk(addresses, ENTRIES_PER_MESSAGE).map((part) => ({ type: 'withdraw', addresses: part, attempt })), 0);
  }

  public async restore(addresses: readonly string[]): Promise<void> {
    await this.requeue(chunk(addresses, ENTRIES_PER_MESSAGE).map((part) => ({ type: 'restore', addresses: part })), 0);
  }

  public async retry(entries: readonly SuppressionEntry[], attempt: number, request?: string): Promise<void> {
    await this.requeue(chunk(entries, ENTRIES_PER_MESSAGE).map((part) => ({ type: 'suppress', entries: part, attempt, ...(request !== undefined ? { request } : {}) })), 0);
  }

  public async followImport(job: ImportJobRef, attempt: number, polls: number, delaySeconds: number): Promise<void> {
    await this.requeue([{ type: 'follow-import', job, attempt, polls }], delaySeconds);
  }

  public async requeue(messages: readonly SuppressionMessage[], delaySeconds: number): Promise<void> {
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds)));
    const bodies = messages.map((m) => JSON.stringify(m));
    let batch: string[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const entries = batch.map((body, i) => ({ Id: String(i), MessageBody: body, ...(delay > 0 ? { DelaySeconds: delay } : {}) }));
      const { Failed = [] } = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      if (Failed.length > 0) throw new Error(`SQS refused ${Failed.length} of ${entries.length} messages: ${Failed[0]?.Code ?? ''} ${Failed[0]?.Message ?? ''}`);
      batch = [];
      bytes = 0;
    };
    for (const body of bodies) {
      const size = Buffer.byteLength(body);
      if (batch.length === BATCH_MESSAGES || bytes + size > BATCH_BYTES) await flush();
      batch.push(body);
      bytes += size;
    }
    await flush();
  }
}
