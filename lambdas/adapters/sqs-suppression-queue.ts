import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ENTRIES_PER_MESSAGE } from '../contract.js';
import { chunk, type ImportJobRef, type SuppressionEntry, type SuppressionMessage, type SuppressionQueue, type SuppressionRequests } from '../domain/index.js';

/** SQS's longest message delay. */
const MAX_DELAY_SECONDS = 900;

/**
 * The writer's queues. The suppression queue: the feedback processor hands addresses over on it
 * (one message per invocation, not one per address) and the writer retries rows on it; it is
 * read with a long batching window. The import-job queue: the writer's next look at an import job,
 * as a delayed message, read without a window so a look is never late.
 */
export class SqsSuppressionQueue implements SuppressionQueue, SuppressionRequests {
  public constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    /** Needed only by the writer (follow-ups); the processor only requests. */
    private readonly importJobQueueUrl?: string,
  ) {}

  public async request(entries: readonly SuppressionEntry[]): Promise<void> {
    await this.sendEntries(entries, 1);
  }

  public async withdraw(addresses: readonly string[]): Promise<void> {
    for (const part of chunk(addresses, ENTRIES_PER_MESSAGE)) await this.send({ type: 'withdraw', addresses: part, attempt: 1 });
  }

  public async retry(entries: readonly SuppressionEntry[], attempt: number): Promise<void> {
    await this.sendEntries(entries, attempt);
  }

  public async unsuppress(addresses: readonly string[], attempt: number, delaySeconds = 0): Promise<void> {
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds)));
    for (const part of chunk(addresses, ENTRIES_PER_MESSAGE)) await this.send({ type: 'unsuppress', addresses: part, attempt }, delay);
  }

  public async followImport(job: ImportJobRef, attempt: number, polls: number, delaySeconds: number): Promise<void> {
    if (!this.importJobQueueUrl) throw new Error('no import-job queue configured');
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds)));
    await this.send({ type: 'follow-import', job, attempt, polls }, delay, this.importJobQueueUrl);
  }

  private async sendEntries(entries: readonly SuppressionEntry[], attempt: number): Promise<void> {
    for (const part of chunk(entries, ENTRIES_PER_MESSAGE)) await this.send({ type: 'suppress', entries: part, attempt });
  }

  private async send(message: SuppressionMessage, delaySeconds = 0, queueUrl = this.queueUrl): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}) }),
    );
  }
}
