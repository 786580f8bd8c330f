import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { toSnapshot } from '../lambdas/watch-reputation/adapters/dynamo-account-snapshots.js';
import { toGuardrailEntry, type GuardrailEntry } from '../lambdas/pause-sending/adapters/dynamo-guardrail-log.js';
import { addressOfKey, daysBetween, dayShardKeys, FEEDBACK_TABLE } from '../lambdas/shared/contract.js';
import type { AccountSnapshot } from '../lambdas/watch-reputation/reputation-watcher.js';
import type { IndexedEvent, TableKey } from './audit-events.js';
import { type BlockDetail, keyId } from './report/provider-blocks.js';

export type { IndexedEvent, TableKey } from './audit-events.js';

export type { AccountSnapshot } from '../lambdas/watch-reputation/reputation-watcher.js';

/** Queries in flight at once: 8 shards of two days. */
const PARALLEL_QUERIES = 16;
/** BatchGetItem's limit. */
const KEYS_PER_BATCH_GET = 100;
/** Rounds of BatchGetItem for keys DynamoDB left unprocessed (throttling) before the rest is given up. */
const BATCH_GET_ROUNDS = 5;

/**
 * Reads the audit trail by time, through the `byDay` index (every shard of every day in range) and
 * the account snapshots, page by page, without a scan.
 */
export class AuditTrail {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  /** Calls `visit` once per entry with `from <= eventAt <= until`, in no particular order. */
  public async forEachEvent(from: Date, until: Date, visit: (event: IndexedEvent) => void): Promise<void> {
    const index = FEEDBACK_TABLE.timeIndex;
    const keys = daysBetween(from, until).flatMap(dayShardKeys);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < keys.length) {
        const key = keys[next++] as string;
        let start: Record<string, unknown> | undefined;
        do {
          const page: QueryCommandOutput = await this.doc.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: index.indexName,
              KeyConditionExpression: '#pk = :pk AND #at BETWEEN :from AND :until',
              ExpressionAttributeNames: { '#pk': index.partitionKey, '#at': FEEDBACK_TABLE.timeSortKey },
              ExpressionAttributeValues: { ':pk': key, ':from': from.toISOString(), ':until': until.toISOString() },
              ExclusiveStartKey: start,
            }),
          );
          for (const item of page.Items ?? []) visit(toIndexedEvent(item));
          start = page.LastEvaluatedKey;
        } while (start);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_QUERIES, keys.length) }, lane));
  }

  /** The reputation watcher's snapshots with `from <= at <= until`, oldest first. */
  public async snapshots(from: Date, until: Date): Promise<AccountSnapshot[]> {
    const { account } = FEEDBACK_TABLE;
    const snapshots: AccountSnapshot[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :until',
          ExpressionAttributeNames: { '#pk': FEEDBACK_TABLE.partitionKey, '#sk': FEEDBACK_TABLE.sortKey },
          ExpressionAttributeValues: {
            ':pk': account.partitionKey,
            ':from': `${account.snapshotPrefix}${from.toISOString()}`,
            ':until': `${account.snapshotPrefix}${until.toISOString()}`,
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) snapshots.push(toSnapshot(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return snapshots;
  }

  /** The guardrail's pauses and resumptions these index entries point at, oldest first (the index does not carry their details). */
  public async guardrailHistory(keys: readonly TableKey[]): Promise<GuardrailEntry[]> {
    const items = await itemsByKey(this.doc, this.tableName, keys);
    return items.map(toGuardrailEntry).sort((a, b) => a.at.localeCompare(b.at));
  }

  /**
   * The DSN status and diagnostic code of these events (BatchGetItem, 100 keys a request), by
   * {@link keyId}; entries DynamoDB still leaves unprocessed after a few rounds are left out.
   */
  public async bounceDetails(keys: readonly TableKey[]): Promise<Map<string, BlockDetail>> {
    const details = new Map<string, BlockDetail>();
    for (let i = 0; i < keys.length; i += KEYS_PER_BATCH_GET) {
      let pending: Array<Record<string, unknown>> = keys.slice(i, i + KEYS_PER_BATCH_GET).map((key) => ({ [FEEDBACK_TABLE.partitionKey]: key.pk, [FEEDBACK_TABLE.sortKey]: key.sk }));
      for (let round = 0; pending.length > 0 && round < BATCH_GET_ROUNDS; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** round));
        const { Responses, UnprocessedKeys } = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending,
                ProjectionExpression: '#pk, #sk, #detail.#diagnosticCode, #detail.#dsnCode',
                ExpressionAttributeNames: {
                  '#pk': FEEDBACK_TABLE.partitionKey,
                  '#sk': FEEDBACK_TABLE.sortKey,
                  '#detail': 'detail',
                  '#diagnosticCode': 'diagnosticCode',
                  '#dsnCode': 'dsnCode',
                },
              },
            },
          }),
        );
        for (const item of Responses?.[this.tableName] ?? []) {
          const detail = (item.detail ?? {}) as BlockDetail;
          const key = { pk: item[FEEDBACK_TABLE.partitionKey] as string, sk: item[FEEDBACK_TABLE.sortKey] as string };
          details.set(keyId(key), { diagnosticCode: detail.diagnosticCode, dsnCode: detail.dsnCode });
        }
        pending = (UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
      }
    }
    return details;
  }
}

/** Whole items of the table, by key (BatchGetItem, 100 keys a request). */
async function itemsByKey(doc: DynamoDBDocumentClient, tableName: string, keys: readonly TableKey[]): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_BATCH_GET) {
    let pending: Array<Record<string, unknown>> = keys.slice(i, i + KEYS_PER_BATCH_GET).map((key) => ({ [FEEDBACK_TABLE.partitionKey]: key.pk, [FEEDBACK_TABLE.sortKey]: key.sk }));
    for (let round = 0; pending.length > 0 && round < BATCH_GET_ROUNDS; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** round));
      const { Responses, UnprocessedKeys } = await doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } }));
      items.push(...(Responses?.[tableName] ?? []));
      pending = (UnprocessedKeys?.[tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
    }
  }
  return items;
}

/** Whether an entry of the time index is one of the guardrail's (a pause or a resumption), not feedback. */
export function isGuardrailEntry(event: Pick<IndexedEvent, 'eventType'>): boolean {
  return event.eventType === FEEDBACK_TABLE.configurationSet.paused || event.eventType === FEEDBACK_TABLE.configurationSet.resumed;
}

function toIndexedEvent(item: Record<string, unknown>): IndexedEvent {
  const pk = item[FEEDBACK_TABLE.partitionKey] as string;
  return {
    tableKey: { pk, sk: item[FEEDBACK_TABLE.sortKey] as string },
    address: addressOfKey(pk),
    eventAt: item[FEEDBACK_TABLE.timeSortKey] as string,
    eventType: item.eventType as string,
    action: item.action as string,
    rule: item.rule as string,
    reason: item.reason as string | undefined,
    configurationSet: item.configurationSet as string | undefined,
    campaign: item.campaign as string | undefined,
    sendingDomain: item.sendingDomain as string | undefined,
    recipientDomain: item.recipientDomain as string | undefined,
    via: item.via as string | undefined,
  };
}
