import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, type BatchGetCommandOutput, type BatchWriteCommandInput, type BatchWriteCommandOutput, DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addressKey, dayShardKey, FEEDBACK_TABLE } from '../contract.js';
import { chunk, type SuppressionEntry, type SuppressionLedger, type SuppressionProvenance, type SuppressionReason } from '../domain/index.js';
import { shardOf } from './dynamo-feedback-store.js';

const { partitionKey: PK, sortKey: SK } = FEEDBACK_TABLE;
const SUPPRESSION_SK = FEEDBACK_TABLE.sortKeys.suppression;
/** The time index's `eventType` of a ledger entry: SES accepted the address onto the list. */
export const SUPPRESSED_EVENT_TYPE = 'Suppressed';
type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** DynamoDB's limits per BatchGetItem and BatchWriteItem call. */
const GET_BATCH = 100;
const WRITE_BATCH = 25;
const MAX_UNPROCESSED_ROUNDS = 10;

/**
 * {@link SuppressionLedger} on the feedback table: one `SUPPRESSION` item per address, read 100 and
 * written 25 per call, with DynamoDB's unprocessed keys retried.
 */
export class DynamoSuppressionLedger implements SuppressionLedger {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    /** Parallel batch calls. */
    private readonly parallelism = 8,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  public async suppressedReasons(addresses: readonly string[]): Promise<Map<string, SuppressionReason>> {
    const found = new Map<string, SuppressionReason>();
    await this.inParallel(chunk([...new Set(addresses)], GET_BATCH), async (batch) => {
      let keys: Record<string, unknown>[] | undefined = batch.map((address) => ({ [PK]: addressKey(address), [SK]: SUPPRESSION_SK }));
      for (let round = 0; keys && keys.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error('DynamoDB left keys unprocessed after 10 rounds; retry later');
        if (round > 0) await backoff(round);
        const response: BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ProjectionExpression: 'address, reason' } } }),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) found.set(item.address as string, item.reason as SuppressionReason);
        keys = response.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    });
    return found;
  }

  public async recordSuppressed(entries: readonly SuppressionEntry[], provenance: SuppressionProvenance, at: Date): Promise<void> {
    const expiresAt = Math.floor(at.getTime() / 1000) + FEEDBACK_TABLE.suppressionLedgerDays * 86_400;
    const suppressedAt = at.toISOString();
    const day = suppressedAt.slice(0, 10);
    await this.inParallel(chunk(entries, WRITE_BATCH), async (batch) => {
      let requests: WriteRequest[] | undefined = batch.map((e): WriteRequest => ({
        PutRequest: {
          Item: {
            [PK]: addressKey(e.address),
            [SK]: SUPPRESSION_SK,
            // On the time index too, as a `Suppressed` entry: what the report lists as done.
            [FEEDBACK_TABLE.timeIndex.partitionKey]: dayShardKey(day, shardOf(e.address)),
            [FEEDBACK_TABLE.timeSortKey]: suppressedAt,
            eventType: SUPPRESSED_EVENT_TYPE,
            action: 'suppress',
            address: e.address,
            reason: e.reason,
            suppressedAt,
            via: provenance.via,
            jobId: provenance.jobId,
            [FEEDBACK_TABLE.timeToLiveAttribute]: expiresAt,
          },
        },
      }));
      for (let round = 0; requests && requests.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error('DynamoDB left writes unprocessed after 10 rounds; retry later');
        if (round > 0) await backoff(round);
        const response: BatchWriteCommandOutput = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = response.UnprocessedItems?.[this.tableName];
      }
    });
  }

  /** Forgets an address (the operator took it off the list), so the next hard bounce suppresses it again. */
  public async forget(address: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [PK]: addressKey(address), [SK]: SUPPRESSION_SK } }));
  }

  private async inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < items.length) await work(items[next++] as T);
    };
    await Promise.all(Array.from({ length: Math.min(this.parallelism, items.length) }, lane));
  }
}

function backoff(round: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round) * Math.random()));
}
