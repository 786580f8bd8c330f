import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchGetCommandOutput,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { addressKey, dayShardKey, eventSortKey, FEEDBACK_TABLE } from '../contract.js';
import {
  chunk,
  type AcceptedSuppression,
  type DueExpiry,
  type LedgerEntry,
  type SuppressionLedger,
  type SuppressionProvenance,
  type SuppressionReason,
} from '../domain/index.js';
import { shardOf } from './dynamo-feedback-store.js';

const { partitionKey: PK, sortKey: SK } = FEEDBACK_TABLE;
const SUPPRESSION_SK = FEEDBACK_TABLE.sortKeys.suppression;
/** The time index's `eventType` of a ledger entry: SES accepted the address onto the list. */
export const SUPPRESSED_EVENT_TYPE = 'Suppressed';
/** The time index's `eventType` of the audit record of a temporary suppression that ended (SES took the address off). */
export const SUPPRESSION_EXPIRED_EVENT_TYPE = 'SuppressionExpired';
type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** DynamoDB's limits per BatchGetItem and BatchWriteItem call. */
const GET_BATCH = 100;
const WRITE_BATCH = 25;
const MAX_UNPROCESSED_ROUNDS = 10;
const DAY_SECONDS = 86_400;

/**
 * {@link SuppressionLedger} on the feedback table: one `SUPPRESSION` item per address, read 100 and
 * written 25 per call, with DynamoDB's unprocessed keys retried; and one `EXPIRY#<shard>` item per
 * temporary suppression, the schedule the hourly tick reads.
 */
export class DynamoSuppressionLedger implements SuppressionLedger {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    /** Parallel calls. */
    private readonly parallelism = 8,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  public async suppressions(addresses: readonly string[]): Promise<Map<string, LedgerEntry>> {
    const found = new Map<string, LedgerEntry>();
    for (const item of await this.getItems(addresses, 'address, reason, temporaryUntil')) {
      const until = item.temporaryUntil as string | undefined;
      found.set(item.address as string, until === undefined ? { reason: item.reason as SuppressionReason } : { reason: item.reason as SuppressionReason, temporaryUntil: until });
    }
    return found;
  }

  public async recordSuppressed(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance, at: Date): Promise<void> {
    const suppressedAt = at.toISOString();
    const day = suppressedAt.slice(0, 10);
    const requests = entries.flatMap((e): WriteRequest[] => {
      // A temporary entry stays in the ledger until it has ended, then as long as any other.
      const from = e.until === undefined ? at.getTime() : Date.parse(e.until);
      const ledgerItem: WriteRequest = {
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
            temporaryUntil: e.until,
            via: provenance.via,
            jobId: provenance.jobId,
            [FEEDBACK_TABLE.timeToLiveAttribute]: Math.floor(from / 1000) + FEEDBACK_TABLE.suppressionLedgerDays * DAY_SECONDS,
          },
        },
      };
      if (e.until === undefined) return [ledgerItem];
      return [ledgerItem, { PutRequest: { Item: { ...expiryKey(e.address, e.until), address: e.address, until: e.until } } }];
    });
    await this.writeAll(requests);
  }

  public async makePermanent(addresses: readonly string[], at: Date): Promise<void> {
    await this.inParallel(addresses, async (address) => {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: ledgerKey(address),
            UpdateExpression: 'REMOVE temporaryUntil SET #ttl = :ttl',
            ConditionExpression: `attribute_exists(${PK})`,
            ExpressionAttributeNames: { '#ttl': FEEDBACK_TABLE.timeToLiveAttribute },
            ExpressionAttributeValues: { ':ttl': Math.floor(at.getTime() / 1000) + FEEDBACK_TABLE.suppressionLedgerDays * DAY_SECONDS },
          }),
        );
      } catch (error) {
        // Gone from the ledger meanwhile (an operator removed it): nothing to keep.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      // Its schedule entry stays, and is dropped as stale when it comes due.
    });
  }

  public async claimDueExpiries(now: Date, limit: number, leaseSeconds: number): Promise<DueExpiry[]> {
    const nowIso = now.toISOString();
    const leaseStart = new Date(now.getTime() - leaseSeconds * 1000).toISOString();
    const unclaimed = 'attribute_not_exists(claimedAt) OR claimedAt < :leaseStart';
    const candidates: Array<DueExpiry & { sk: string; pk: string }> = [];
    for (let shard = 0; shard < FEEDBACK_TABLE.timeShards && candidates.length < limit; shard++) {
      const pk = `${FEEDBACK_TABLE.expiry.partitionKeyPrefix}${shard}`;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page: QueryCommandOutput = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: `${PK} = :pk AND ${SK} < :now`,
            FilterExpression: unclaimed,
            ExpressionAttributeValues: { ':pk': pk, ':now': nowIso, ':leaseStart': leaseStart },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          if (candidates.length < limit) candidates.push({ pk, sk: item[SK] as string, address: item.address as string, until: item.until as string });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey && candidates.length < limit);
    }
    const claimed: DueExpiry[] = [];
    await this.inParallel(candidates, async ({ pk, sk, address, until }) => {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [PK]: pk, [SK]: sk },
            UpdateExpression: 'SET claimedAt = :now',
            ConditionExpression: `attribute_exists(${PK}) AND (${unclaimed})`,
            ExpressionAttributeValues: { ':now': nowIso, ':leaseStart': leaseStart },
          }),
        );
        claimed.push({ address, until });
      } catch (error) {
        // Another tick claimed it (or it was settled) in between.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });
    return claimed;
  }

  public async dropExpiries(expiries: readonly DueExpiry[]): Promise<void> {
    await this.writeAll(expiries.map((e): WriteRequest => ({ DeleteRequest: { Key: expiryKey(e.address, e.until) } })));
  }

  public async recordUnsuppressed(addresses: readonly string[], provenance: SuppressionProvenance, at: Date): Promise<Map<string, SuppressionReason>> {
    const kept = new Map<string, SuppressionReason>();
    const ended: Array<{ address: string; until: string; suppressedAt: string }> = [];
    for (const item of await this.getItems(addresses, 'address, reason, temporaryUntil, suppressedAt', true)) {
      const address = item.address as string;
      if (item.temporaryUntil === undefined) kept.set(address, item.reason as SuppressionReason);
      else ended.push({ address, until: item.temporaryUntil as string, suppressedAt: item.suppressedAt as string });
    }
    // The audit record first: keyed by the suppression it ends, so a retry writes the same one again.
    const eventAt = at.toISOString();
    await this.writeAll(
      ended.map(({ address, until, suppressedAt }): WriteRequest => ({
        PutRequest: {
          Item: {
            [PK]: addressKey(address),
            [SK]: eventSortKey(`${until}#${SUPPRESSION_EXPIRED_EVENT_TYPE}#${suppressedAt}`),
            [FEEDBACK_TABLE.timeIndex.partitionKey]: dayShardKey(eventAt.slice(0, 10), shardOf(address)),
            [FEEDBACK_TABLE.timeSortKey]: eventAt,
            address,
            eventType: SUPPRESSION_EXPIRED_EVENT_TYPE,
            action: 'unsuppress',
            rule: 'temporary-suppression-ended',
            reason: 'BOUNCE',
            suppressedAt,
            temporaryUntil: until,
            via: provenance.via,
            jobId: provenance.jobId,
            recordedAt: eventAt,
          },
        },
      })),
    );
    await this.inParallel(ended, async ({ address, until }) => {
      try {
        await this.doc.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: ledgerKey(address),
            ConditionExpression: 'temporaryUntil = :until',
            ExpressionAttributeValues: { ':until': until },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Changed while SES removed it: permanent now (a hard bounce or complaint), so it goes back.
        const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: ledgerKey(address), ConsistentRead: true }));
        if (Item && Item.temporaryUntil === undefined) kept.set(address, Item.reason as SuppressionReason);
      }
    });
    await this.dropExpiries(ended);
    return kept;
  }

  /** Forgets an address (the operator took it off the list), so the next hard bounce suppresses it again. */
  public async forget(address: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: ledgerKey(address) }));
  }

  /** The ledger items of these addresses (those that exist), 100 per call. */
  private async getItems(addresses: readonly string[], projection: string, consistent = false): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    await this.inParallel(chunk([...new Set(addresses)], GET_BATCH), async (batch) => {
      let keys: Record<string, unknown>[] | undefined = batch.map(ledgerKey);
      for (let round = 0; keys && keys.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error('DynamoDB left keys unprocessed after 10 rounds; retry later');
        if (round > 0) await backoff(round);
        const response: BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ProjectionExpression: projection, ConsistentRead: consistent } } }),
        );
        items.push(...(response.Responses?.[this.tableName] ?? []));
        keys = response.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    });
    return items;
  }

  /** Writes these requests 25 per call, DynamoDB's unprocessed ones again. */
  private async writeAll(requests: readonly WriteRequest[]): Promise<void> {
    await this.inParallel(chunk(requests, WRITE_BATCH), async (batch) => {
      let pending: WriteRequest[] | undefined = batch;
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error('DynamoDB left writes unprocessed after 10 rounds; retry later');
        if (round > 0) await backoff(round);
        const response: BatchWriteCommandOutput = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = response.UnprocessedItems?.[this.tableName];
      }
    });
  }

  private async inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < items.length) await work(items[next++] as T);
    };
    await Promise.all(Array.from({ length: Math.min(this.parallelism, items.length) }, lane));
  }
}

function ledgerKey(address: string): Record<string, string> {
  return { [PK]: addressKey(address), [SK]: SUPPRESSION_SK };
}

/** The schedule item of a temporary suppression: spread over the time index's shard count by address. */
function expiryKey(address: string, until: string): Record<string, string> {
  return { [PK]: `${FEEDBACK_TABLE.expiry.partitionKeyPrefix}${shardOf(address)}`, [SK]: `${until}#${address}` };
}

function backoff(round: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round) * Math.random()));
}
