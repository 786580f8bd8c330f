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
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { FEEDBACK_TABLE } from '../../shared/contract.js';
import { chunk } from '../../shared/suppression.js';
import { type AcceptedSuppression, type DueExpiry, type LedgerEntry, type SuppressionLedger, type SuppressionProvenance } from '../ports.js';
import { ENTRY_PROJECTION, expiredRecord, expiryKey, ledgerEntry, ledgerExpiresAt, ledgerItem, ledgerKey, type LedgerItem } from './suppression-ledger-items.js';

export { SUPPRESSED_EVENT_TYPE, SUPPRESSION_EXPIRED_EVENT_TYPE } from './suppression-ledger-items.js';

const { partitionKey: PK, sortKey: SK } = FEEDBACK_TABLE;
type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/**
 * Conditional writes at once for the bounces of a flood: one call each where a batch took 25, so
 * more at once keep a 100,000-row import job's settlement within the writer's run (the SDK's
 * connection pool holds 50).
 */
const CONDITIONAL_WRITE_LANES = 32;

/** DynamoDB's limits per BatchGetItem and BatchWriteItem call. */
const GET_BATCH = 100;
const WRITE_BATCH = 25;
const MAX_UNPROCESSED_ROUNDS = 10;

/**
 * {@link SuppressionLedger} on the feedback table: one `SUPPRESSION` item per address, read 100 and
 * written 25 per call, with DynamoDB's unprocessed keys retried; and one `EXPIRY#<shard>` item per
 * temporary suppression, the schedule the tick reads.
 */
export class DynamoSuppressionLedger implements SuppressionLedger {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    /** Parallel calls. */
    private readonly parallelism = 8,
    /** How long the audit record of an ended suppression is kept, like every event record. */
    private readonly eventRetentionInDays = 365,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  public async suppressions(addresses: readonly string[], consistent = false): Promise<Map<string, LedgerEntry>> {
    const found = new Map<string, LedgerEntry>();
    for (const item of await this.getItems(addresses, ENTRY_PROJECTION, consistent)) found.set(item.address as string, ledgerEntry(item));
    return found;
  }

  public async recordSuppressed(entries: readonly AcceptedSuppression[], provenance: SuppressionProvenance, at: Date): Promise<string[]> {
    // The schedule entry first: one without its ledger entry is dropped as stale when it comes due,
    // while a ledger entry without one would never end.
    await this.writeAll(entries.flatMap((e): WriteRequest[] => (e.until === undefined ? [] : [{ PutRequest: { Item: { ...expiryKey(e.address, e.until), address: e.address, until: e.until } } }])));
    await this.writeAll(entries.flatMap((e): WriteRequest[] => (e.until === undefined && e.reason === 'COMPLAINT' ? [{ PutRequest: { Item: ledgerItem(e, provenance, at) } }] : [])));
    // A bounce never replaces a complaint (one may have been recorded while its import job ran), and
    // a temporary entry replaces only one being removed: a conditional write each (the same write
    // units as in a batch, more calls at once).
    const refused: string[] = [];
    const conditional = entries.filter((e) => e.until !== undefined || e.reason === 'BOUNCE');
    await this.inParallel(
      conditional,
      async (e) => {
        try {
          await this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: ledgerItem(e, provenance, at),
              ...(e.until === undefined
                ? { ConditionExpression: `attribute_not_exists(${PK}) OR reason <> :complaint`, ExpressionAttributeValues: { ':complaint': 'COMPLAINT' } }
                : { ConditionExpression: `attribute_not_exists(${PK}) OR attribute_exists(removing)` }),
            }),
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          refused.push(e.address);
        }
      },
      CONDITIONAL_WRITE_LANES,
    );
    // The entry that stands is a complaint: this writer's BOUNCE may have landed at SES after it.
    const found = refused.length > 0 ? await this.suppressions(refused, true) : new Map<string, LedgerEntry>();
    return [...found].filter(([, entry]) => entry.reason === 'COMPLAINT').map(([address]) => address);
  }

  public async makePermanent(address: string, at: Date): Promise<void> {
    // Its schedule entry stays, and is dropped as stale when it comes due.
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(address),
        UpdateExpression: 'REMOVE temporaryUntil, removing SET #ttl = :ttl',
        ConditionExpression: `attribute_exists(${PK})`,
        ExpressionAttributeNames: { '#ttl': FEEDBACK_TABLE.timeToLiveAttribute },
        ExpressionAttributeValues: { ':ttl': ledgerExpiresAt(at) },
      }),
    );
  }

  public async dueExpiries(now: Date, limit: number): Promise<DueExpiry[]> {
    // Each shard's earliest `limit` (one page: no filter, items of ~100 bytes), then the earliest of all.
    const perShard = await Promise.all(
      Array.from({ length: FEEDBACK_TABLE.timeShards }, async (_, shard) => {
        const { Items = [] } = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: `${PK} = :pk AND ${SK} < :now`,
            ExpressionAttributeValues: { ':pk': `${FEEDBACK_TABLE.expiry.partitionKeyPrefix}${shard}`, ':now': now.toISOString() },
            Limit: limit,
          }),
        );
        return Items.map((item): DueExpiry => ({ address: item.address as string, until: item.until as string }));
      }),
    );
    return perShard.flat().sort((a, b) => (a.until < b.until ? -1 : a.until > b.until ? 1 : 0)).slice(0, limit);
  }

  public async dropExpiries(expiries: readonly DueExpiry[]): Promise<void> {
    await this.writeAll(expiries.map((e): WriteRequest => ({ DeleteRequest: { Key: expiryKey(e.address, e.until) } })));
  }

  public async startRemoval({ address, until }: DueExpiry): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(address),
        UpdateExpression: 'SET removing = :until',
        ConditionExpression: 'temporaryUntil = :until',
        ExpressionAttributeValues: { ':until': until },
      }),
    );
  }

  public async finishRemoval(expiries: readonly DueExpiry[], provenance: SuppressionProvenance, at: Date): Promise<void> {
    const eventAt = at.toISOString();
    await this.inParallel(expiries, async ({ address, until }) => {
      const item = await this.getItem(address);
      if (item?.removing !== until) return; // settled before (a retry)
      // The audit record, keyed by the suppression it ends, with the ledger and schedule entries'
      // end, all or none: no record of an end that did not happen.
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tableName, Item: expiredRecord(address, item, until, provenance, at, eventAt, this.eventRetentionInDays) } },
            { Delete: { TableName: this.tableName, Key: ledgerKey(address), ConditionExpression: 'removing = :until', ExpressionAttributeValues: { ':until': until } } },
            { Delete: { TableName: this.tableName, Key: expiryKey(address, until) } },
          ],
        }),
      );
    });
  }

  /** Forgets an address (the operator took it off the list), so the next hard bounce suppresses it again. */
  public async forget(address: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: ledgerKey(address) }));
  }

  private async getItem(address: string): Promise<LedgerItem | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: ledgerKey(address), ConsistentRead: true }));
    return Item as LedgerItem | undefined;
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

  private async inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>, lanes = this.parallelism): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < items.length) await work(items[next++] as T);
    };
    await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  }
}

function backoff(round: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round) * Math.random()));
}
