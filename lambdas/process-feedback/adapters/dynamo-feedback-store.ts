import { ConditionalCheckFailedException, DynamoDBServiceException, type BatchStatementResponse, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchExecuteStatementCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { addressKey, dayShardKey, eventSortKey, FEEDBACK_TABLE, shardOf } from '../../shared/contract.js';
import { addDelivery, addSoftBounce, isEscalated, type SoftBounceHistory, type SoftBounceOutcome, type SoftBouncePolicy } from '../soft-bounce-policy.js';
import { RecordRefusedError } from '../../shared/errors.js';
import { type FeedbackRecord } from '../feedback-record.js';
import { type FeedbackStore } from '../ports.js';

export interface DynamoFeedbackStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Event records expire this many days after the event (DynamoDB TTL). */
  readonly eventRetentionInDays: number;
}

const STATE_SK = FEEDBACK_TABLE.sortKeys.state;
/** Every round lets at least one writer through, so this bounds contention by 20 writers on one address. */
const MAX_OPTIMISTIC_ATTEMPTS = 20;
/** BatchExecuteStatement's limit. */
const MAX_STATEMENTS = 25;
/** Statement errors that another try may clear; any other fails its record, which SQS redelivers. */
const RETRYABLE_STATEMENT_ERRORS = new Set(['ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded', 'InternalServerError', 'TransactionConflict']);
const MAX_STATEMENT_ATTEMPTS = 4;

interface PendingInsert {
  readonly item: Record<string, unknown>;
  resolve: (outcome: 'new' | 'duplicate') => void;
  reject: (error: unknown) => void;
}

/** DynamoDB refused to write an event record (not because it exists): its record fails and is retried. */
export class EventNotWrittenError extends Error {
  public override readonly name = 'EventNotWrittenError';
  public constructor(
    public readonly code: string,
    detail: string,
  ) {
    super(`DynamoDB did not write the event record: ${code}${detail ? `: ${detail}` : ''}`);
  }
}

/** A request DynamoDB answered with a client error no retry can fix (throttling the SDK has retried already). */
function isRequestRefused(error: unknown): boolean {
  return error instanceof DynamoDBServiceException && error.$fault === 'client' && !/Throttl|LimitExceeded/.test(error.name);
}

/**
 * DynamoDB's answer for an item it will never take (a key or item over its size limit, an empty
 * map key): the record is refused for good. Other refusals (a missing table, a denied action) are
 * a deployment problem that a fix and a retry clear, so their records are retried.
 */
function refusedForGood(code: string, message: string): RecordRefusedError | undefined {
  return code === 'ValidationException' || code === 'ValidationError'
    ? new RecordRefusedError(`DynamoDB refused the audit record for good (${code}: ${message})`)
    : undefined;
}

/**
 * `INSERT INTO "table" VALUE {'a': ?, ...}` with the item's values as parameters, in the same order;
 * a statement names each attribute it sets, so absent ones are left out rather than written as NULL.
 */
function insertStatement(tableName: string, item: Record<string, unknown>): { Statement: string; Parameters: unknown[] } {
  const names = Object.keys(item).filter((name) => item[name] !== undefined);
  return { Statement: `INSERT INTO "${tableName}" VALUE {${names.map((name) => `'${name}': ?`).join(', ')}}`, Parameters: names.map((name) => item[name]) };
}

/** {@link FeedbackStore} on one DynamoDB table laid out as {@link FEEDBACK_TABLE} describes. */
export class DynamoFeedbackStore implements FeedbackStore {
  private readonly doc: DynamoDBDocumentClient;
  /** Event records waiting for the next BatchExecuteStatement (see {@link putEvent}). */
  private waiting: PendingInsert[] = [];

  public constructor(private readonly options: DynamoFeedbackStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /**
   * Writes the record unless this event is already recorded for this address.
   *
   * Event records put in the same turn of the event loop (the records of one batch, processed in
   * parallel) are written together: one PartiQL `INSERT` per record, up to 25 in one
   * BatchExecuteStatement. An INSERT is refused per record when the key exists (`DuplicateItem`),
   * so duplicates are found exactly as a conditional PutItem finds them, for the same write units,
   * in one request instead of ten (`npm run bench`: client CPU per event).
   */
  public putEvent(record: FeedbackRecord): Promise<'new' | 'duplicate'> {
    const item = this.eventItem(record);
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.insertWaiting());
      this.waiting.push({ item, resolve, reject });
    });
  }

  private insertWaiting(): void {
    // The same event twice in one batch (an SNS duplicate delivered alongside): one statement, and
    // the second copy is a duplicate of whatever the first turns out to be.
    const byKey = new Map<string, PendingInsert>();
    for (const insert of this.waiting.splice(0)) {
      const key = `${String(insert.item[FEEDBACK_TABLE.partitionKey])}\n${String(insert.item[FEEDBACK_TABLE.sortKey])}`;
      const first = byKey.get(key);
      if (!first) {
        byKey.set(key, insert);
        continue;
      }
      const { resolve, reject } = first;
      first.resolve = (outcome) => (resolve(outcome), insert.resolve('duplicate'));
      first.reject = (error) => (reject(error), insert.reject(error));
    }
    const unique = [...byKey.values()];
    for (let i = 0; i < unique.length; i += MAX_STATEMENTS) void this.insert(unique.slice(i, i + MAX_STATEMENTS), 1);
  }

  /** One BatchExecuteStatement; statements DynamoDB could not run now are tried again, the rest settle. */
  private async insert(inserts: PendingInsert[], attempt: number): Promise<void> {
    let responses: BatchStatementResponse[];
    try {
      const output = await this.doc.send(
        new BatchExecuteStatementCommand({ Statements: inserts.map(({ item }) => insertStatement(this.options.tableName, item)) }),
      );
      responses = output.Responses ?? [];
      if (responses.length !== inserts.length) throw new Error(`DynamoDB answered ${responses.length} of ${inserts.length} statements`);
    } catch (error) {
      if (inserts.length > 1 && isRequestRefused(error)) {
        // DynamoDB refuses a whole batch for one bad statement (an item over 400 KB): try each on
        // its own, so only that record fails.
        await Promise.all(inserts.map((insert) => this.insert([insert], attempt)));
        return;
      }
      const refused = isRequestRefused(error)
        ? (refusedForGood((error as Error).name, (error as Error).message) ?? new EventNotWrittenError((error as Error).name, (error as Error).message))
        : error;
      for (const insert of inserts) insert.reject(refused);
      return;
    }
    const again: PendingInsert[] = [];
    inserts.forEach((insert, i) => {
      const error = responses[i]?.Error;
      if (!error) insert.resolve('new');
      else if (error.Code === 'DuplicateItem') insert.resolve('duplicate');
      else if (RETRYABLE_STATEMENT_ERRORS.has(error.Code ?? '') && attempt < MAX_STATEMENT_ATTEMPTS) again.push(insert);
      else insert.reject(refusedForGood(error.Code ?? '', error.Message ?? '') ?? new EventNotWrittenError(error.Code ?? 'Unknown', error.Message ?? ''));
    });
    if (again.length === 0) return;
    // Full jitter on 50 ms doubling, as the SDK backs off a throttled request.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
    await this.insert(again, attempt + 1);
  }

  private eventItem(record: FeedbackRecord): Record<string, unknown> {
    const { context } = record;
    const day = record.eventAt.slice(0, 10);
    const shard = shardOf(`${record.address}#${record.eventKey}`);
    return {
      [FEEDBACK_TABLE.partitionKey]: addressKey(record.address),
      [FEEDBACK_TABLE.sortKey]: eventSortKey(record.eventKey),
      [FEEDBACK_TABLE.timeIndex.partitionKey]: dayShardKey(day, shard),
      [FEEDBACK_TABLE.timeSortKey]: record.eventAt,
      [FEEDBACK_TABLE.timeToLiveAttribute]: Math.floor(Date.parse(record.eventAt) / 1000) + this.options.eventRetentionInDays * 86_400,
      address: record.address,
      recipientDomain: record.recipientDomain,
      eventType: record.eventType,
      messageId: bounded(record.messageId),
      action: record.action,
      reason: record.reason ?? undefined,
      rule: record.rule,
      detail: boundedDetail(record.detail),
      format: record.format,
      configurationSet: bounded(context.configurationSet, SHORT_TEXT),
      campaign: bounded(context.campaign, SHORT_TEXT),
      sendingDomain: bounded(context.sendingDomain, SHORT_TEXT),
      subject: bounded(context.subject),
      sentAt: context.sentAt,
      tags: boundedTags(context.tags),
      derived: record.derived,
      recordedAt: record.recordedAt,
    };
  }

  public async addSoftBounce(address: string, eventKey: string, at: string, policy: SoftBouncePolicy): Promise<SoftBounceOutcome> {
    return this.updateHistory(address, (history) => {
      const outcome = addSoftBounce(history, eventKey, at, policy);
      // Already counted: nothing to write.
      return { outcome, next: eventKey in history.softBounces ? undefined : outcome.history };
    }, policy);
  }

  public async addDelivery(address: string, at: string, policy: SoftBouncePolicy): Promise<{ withdraw: boolean }> {
    return this.updateHistory(address, (history) => {
      const outcome = addDelivery(history, at, policy);
      // An older delivery than the one noted changes nothing.
      const changed = outcome.history.lastDeliveryAt !== history.lastDeliveryAt || outcome.history.withdrawnBy !== history.withdrawnBy;
      return { outcome: { withdraw: outcome.withdraw }, next: changed ? outcome.history : undefined };
    }, policy);
  }

  /**
   * Reads the address's history, applies `change`, and writes the result (with whether it stands
   * escalated, which the writer reads) only if nobody wrote it meanwhile; else tries again.
   */
  private async updateHistory<T>(
    address: string,
    change: (history: SoftBounceHistory) => { outcome: T; next?: SoftBounceHistory },
    policy: SoftBouncePolicy,
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt++) {
      const state = await this.getState(address);
      const history: SoftBounceHistory = {
        softBounces: (state?.softBounces ?? {}) as Record<string, string>,
        ...(state?.lastDeliveryAt !== undefined ? { lastDeliveryAt: state.lastDeliveryAt as string } : {}),
        ...(state?.withdrawnBy !== undefined ? { withdrawnBy: state.withdrawnBy as string } : {}),
      };
      const { outcome, next } = change(history);
      if (next === undefined) return outcome;
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: this.stateKey(address),
            UpdateExpression: `SET softBounces = :sb, escalated = :escalated, version = :next${next.lastDeliveryAt !== undefined ? ', lastDeliveryAt = :delivered' : ''}${next.withdrawnBy !== undefined ? ', withdrawnBy = :withdrawnBy' : ''}`,
            ConditionExpression: state?.version === undefined ? 'attribute_not_exists(version)' : 'version = :version',
            ExpressionAttributeValues: {
              ':sb': next.softBounces,
              ':escalated': isEscalated(next, policy),
              ':next': ((state?.version as number | undefined) ?? 0) + 1,
              ...(next.lastDeliveryAt !== undefined ? { ':delivered': next.lastDeliveryAt } : {}),
              ...(next.withdrawnBy !== undefined ? { ':withdrawnBy': next.withdrawnBy } : {}),
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

/**
 * Bounds on what a message may put into its audit record, so that any message SES could send (and
 * any a hostile publisher could) makes an item DynamoDB takes: far under 400 KB, no empty map key.
 * What is cut is marked; the decision never depends on it.
 */
const LONG_TEXT = 1000;
const SHORT_TEXT = 256;
const MAX_TAGS = 50;
const MAX_TAG_VALUES = 10;

function bounded<T extends string | undefined>(text: T, max = LONG_TEXT): T {
  return (text !== undefined && text.length > max ? `${text.slice(0, max)}…[${text.length - max} more characters]` : text) as T;
}

function boundedDetail(detail: FeedbackRecord['detail']): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(detail).map(([key, value]) => [key, bounded(value)]));
}

function boundedTags(tags: Readonly<Record<string, readonly string[]>>): Record<string, string[]> | undefined {
  const kept = Object.entries(tags)
    .filter(([name]) => name !== '')
    .slice(0, MAX_TAGS)
    .map(([name, values]) => [bounded(name, SHORT_TEXT), values.slice(0, MAX_TAG_VALUES).map((v) => bounded(v, SHORT_TEXT))] as const);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}
