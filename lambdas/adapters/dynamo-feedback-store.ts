import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dayShardKey, FEEDBACK_TABLE } from '../contract.js';
import {
  addSoftBounce,
  domainOf,
  type FeedbackRecord,
  type FeedbackStore,
  type SoftBounceOutcome,
  type SoftBouncePolicy,
} from '../domain/index.js';

export interface DynamoFeedbackStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Event records expire this many days after the event (DynamoDB TTL). */
  readonly eventRetentionInDays: number;
}

const STATE_SK = FEEDBACK_TABLE.sortKeys.state;
/** The time-index value under which operator actions (removals) are recorded. */
export const OPERATOR_CONFIGURATION_SET = 'operator';
/** Every round lets at least one writer through, so this bounds contention by 20 writers on one address. */
const MAX_OPTIMISTIC_ATTEMPTS = 20;

/** {@link FeedbackStore} on one DynamoDB table laid out as {@link FEEDBACK_TABLE} describes. */
export class DynamoFeedbackStore implements FeedbackStore {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(private readonly options: DynamoFeedbackStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
  }

  public async putEvent(record: FeedbackRecord): Promise<'new' | 'duplicate'> {
    const { context } = record;
    const day = record.eventAt.slice(0, 10);
    const shard = shardOf(`${record.address}#${record.eventKey}`);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            [FEEDBACK_TABLE.partitionKey]: addressKey(record.address),
            [FEEDBACK_TABLE.sortKey]: `EVENT#${record.eventKey}`,
            [FEEDBACK_TABLE.timeIndex.partitionKey]: dayShardKey(day, shard),
            [FEEDBACK_TABLE.timeSortKey]: record.eventAt,
            [FEEDBACK_TABLE.timeToLiveAttribute]: Math.floor(Date.parse(record.eventAt) / 1000) + this.options.eventRetentionInDays * 86_400,
            address: record.address,
            recipientDomain: record.recipientDomain,
            eventType: record.eventType,
            messageId: record.messageId,
            action: record.action,
            reason: record.reason ?? undefined,
            rule: record.rule,
            detail: record.detail,
            format: record.format,
            configurationSet: context.configurationSet,
            campaign: context.campaign,
            sendingDomain: context.sendingDomain,
            subject: context.subject,
            sentAt: context.sentAt,
            tags: context.tags,
            recordedAt: record.recordedAt,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': FEEDBACK_TABLE.partitionKey },
        }),
      );
      return 'new';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'duplicate';
      throw error;
    }
  }

  public async addSoftBounce(address: string, eventKey: string, at: string, policy: SoftBouncePolicy): Promise<SoftBounceOutcome> {
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt++) {
      const state = await this.getState(address);
      const softBounces = (state?.softBounces ?? {}) as Record<string, string>;
      const outcome = addSoftBounce({ softBounces, lastDeliveryAt: state?.lastDeliveryAt as string | undefined }, eventKey, at, policy);
      if (eventKey in softBounces) return outcome; // already counted: nothing to write
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: this.stateKey(address),
            UpdateExpression: 'SET softBounces = :sb, version = :next',
            ConditionExpression: state?.version === undefined ? 'attribute_not_exists(version)' : 'version = :version',
            ExpressionAttributeValues: {
              ':sb': outcome.history.softBounces,
              ':next': ((state?.version as number | undefined) ?? 0) + 1,
              ...(state?.version === undefined ? {} : { ':version': state.version }),
            },
          }),
        );
        return outcome;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (attempt + 1)));
      }
    }
    throw new Error('soft-bounce history kept changing under concurrent updates; retry later');
  }

  public async addDelivery(address: string, at: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.stateKey(address),
          UpdateExpression: 'SET lastDeliveryAt = :at, version = if_not_exists(version, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(lastDeliveryAt) OR lastDeliveryAt < :at',
          ExpressionAttributeValues: { ':at': at, ':zero': 0, ':one': 1 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error; // a later delivery is already noted
    }
  }

  /**
   * Records that an operator took an address off the suppression list, as an event of that address
   * in the audit trail (time-indexed, with the configuration set `operator`).
   */
  public async recordOperatorRemoval(address: string, note: string | undefined, at: Date): Promise<void> {
    const eventAt = at.toISOString();
    const eventKey = `${eventAt}#OperatorRemoval#${randomUUID()}`;
    const day = eventAt.slice(0, 10);
    const shard = shardOf(`${address}#${eventKey}`);
    await this.doc.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          [FEEDBACK_TABLE.partitionKey]: addressKey(address),
          [FEEDBACK_TABLE.sortKey]: `EVENT#${eventKey}`,
          [FEEDBACK_TABLE.timeIndex.partitionKey]: dayShardKey(day, shard),
          [FEEDBACK_TABLE.timeSortKey]: eventAt,
          [FEEDBACK_TABLE.timeToLiveAttribute]: Math.floor(at.getTime() / 1000) + this.options.eventRetentionInDays * 86_400,
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

  private async getState(address: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.options.tableName, Key: this.stateKey(address), ConsistentRead: true }),
    );
    return Item;
  }

  private stateKey(address: string): Record<string, string> {
    return { [FEEDBACK_TABLE.partitionKey]: addressKey(address), [FEEDBACK_TABLE.sortKey]: STATE_SK };
  }
}

export function addressKey(address: string): string {
  return `ADDR#${address}`;
}

/** FNV-1a, folded onto the shard count: stable across runs and processes. */
export function shardOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % FEEDBACK_TABLE.timeShards;
}
