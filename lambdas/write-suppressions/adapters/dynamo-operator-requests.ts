import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, type BatchWriteCommandInput, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { addressKey, dayShardKey, eventSortKey, FEEDBACK_TABLE, OPERATOR_CONFIGURATION_SET, shardOf } from '../../shared/contract.js';
import { chunk, type SuppressionEntry } from '../../shared/suppression.js';
import { domainOf, redactAddresses } from '../../shared/address.js';
import { type OperatorRequests } from '../ports.js';
import type { DynamoSuppressionLedger } from './dynamo-suppression-ledger.js';

/** How long the outcome of an operator's request stays readable: the CLI reads it within minutes. */
const OUTCOME_DAYS = 7;

export type OperatorRemovalOutcome = 'removed' | 'not-listed' | 'refused';

const { partitionKey: PK, sortKey: SK, timeToLiveAttribute: TTL } = FEEDBACK_TABLE;

function requestKey(request: string): Record<string, string> {
  return { [PK]: `${FEEDBACK_TABLE.operatorRequest.partitionKeyPrefix}${request}`, [SK]: FEEDBACK_TABLE.operatorRequest.sortKey };
}

function refusalKey(address: string): Record<string, string> {
  return { [PK]: addressKey(address), [SK]: FEEDBACK_TABLE.sortKeys.refused };
}

function expiresAt(at: Date): number {
  return Math.floor(at.getTime() / 1000) + OUTCOME_DAYS * 86_400;
}

/**
 * {@link OperatorRequests} on the feedback table: a removal's outcome under its request id, and a
 * refused row of an import beside its address; both read by the CLI that waits for them.
 */
export class DynamoOperatorRequests implements OperatorRequests {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly ledger: Pick<DynamoSuppressionLedger, 'forget'>,
    /** How long the removal's audit record stays, as every event record does. */
    private readonly eventRetentionInDays: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  public async settleRemoval(address: string, outcome: OperatorRemovalOutcome, request: string, note: string | undefined, at: Date): Promise<void> {
    if (outcome !== 'refused') await this.ledger.forget(address);
    if (outcome === 'removed') await this.recordOperatorRemoval(address, note, at);
    const why = outcome === 'refused' && note !== undefined ? { why: redactAddresses(note) } : {};
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...requestKey(request), outcome, ...why, settledAt: at.toISOString(), [TTL]: expiresAt(at) } }));
  }

  public async refused(rejections: ReadonlyArray<{ readonly entry: SuppressionEntry; readonly why: string }>, request: string, at: Date): Promise<void> {
    for (const part of chunk(rejections, 25)) {
      let items: BatchWriteCommandInput['RequestItems'] = {
        [this.tableName]: part.map(({ entry, why }) => ({ PutRequest: { Item: { ...refusalKey(entry.address), request, why: redactAddresses(why), refusedAt: at.toISOString(), [TTL]: expiresAt(at) } } })),
      };
      // What DynamoDB left unprocessed, again: a refusal lost would keep the CLI waiting.
      for (let round = 0; items && Object.keys(items).length > 0; round++) {
        if (round === 5) throw new Error('DynamoDB left refusals unprocessed after 5 rounds; retry later');
        items = (await this.doc.send(new BatchWriteCommand({ RequestItems: items }))).UnprocessedItems;
      }
    }
  }

  /**
   * Records that an operator took an address off the suppression list, as an event of that address
   * in the audit trail (time-indexed, with the configuration set `operator`).
   */
  private async recordOperatorRemoval(address: string, note: string | undefined, at: Date): Promise<void> {
    const eventAt = at.toISOString();
    const eventKey = `${eventAt}#OperatorRemoval#${randomUUID()}`;
    const day = eventAt.slice(0, 10);
    const shard = shardOf(`${address}#${eventKey}`);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [FEEDBACK_TABLE.partitionKey]: addressKey(address),
          [FEEDBACK_TABLE.sortKey]: eventSortKey(eventKey),
          [FEEDBACK_TABLE.timeIndex.partitionKey]: dayShardKey(day, shard),
          [FEEDBACK_TABLE.timeSortKey]: eventAt,
          [FEEDBACK_TABLE.timeToLiveAttribute]: Math.floor(at.getTime() / 1000) + this.eventRetentionInDays * 86_400,
          address,
          recipientDomain: domainOf(address),
          eventType: 'OperatorRemoval',
          action: 'unsuppress',
          rule: 'operator-removal',
          configurationSet: OPERATOR_CONFIGURATION_SET,
          detail: note,
          recordedAt: eventAt,
        },
      }),
    );
  }

  /** The outcome the writer recorded for `request` (with SES's reason when refused), or undefined while it has not settled it. */
  public async removalOutcome(request: string): Promise<{ outcome: OperatorRemovalOutcome; why?: string } | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: requestKey(request), ConsistentRead: true }));
    return Item === undefined ? undefined : { outcome: Item.outcome as OperatorRemovalOutcome, ...(Item.why !== undefined ? { why: Item.why as string } : {}) };
  }

  /** Those of these addresses SES refused in the operator's `request`, with why. */
  public async refusals(addresses: readonly string[], request: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const part of chunk([...new Set(addresses)], 100)) {
      const { Responses } = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: part.map(refusalKey), ConsistentRead: true } } }));
      for (const item of Responses?.[this.tableName] ?? []) {
        if (item.request === request) found.set((item[PK] as string).slice(FEEDBACK_TABLE.keyPrefixes.address.length), item.why as string);
      }
    }
    return found;
  }
}
