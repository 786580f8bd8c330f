import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
  type QueryCommandOutput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { FEEDBACK_TABLE } from '../contract.js';
import {
  chunk,
  type AcceptedSuppression,
  type ClaimedExpiries,
  type DueExpiry,
  type LedgerEntry,
  type PutBack,
  type SuppressionLedger,
  type SuppressionProvenance,
  type SuppressionReason,
} from '../domain/index.js';
import { ENTRY_PROJECTION, expiredRecord, expiryKey, ledgerEntry, ledgerExpiresAt, ledgerItem, ledgerKey, wish, type LedgerItem } from './suppression-ledger-items.js';

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
 * temporary suppression, the schedule the hourly tick reads.
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
    const permanent = entries.filter((e) => e.until === undefined);
    const temporary = entries.filter((e) => e.until !== undefined);
    // A bounce the pipeline decided goes as a conditional write of its own (the same write units as
    // in a batch, more calls at once): another writer may have recorded a complaint, or a wish to
    // keep the address as one, since this one read the ledger.
    const guarded = provenance.via === 'operator-import' ? [] : permanent.filter((e) => e.reason === 'BOUNCE');
    const unguarded = guarded.length === 0 ? permanent : permanent.filter((e) => e.reason !== 'BOUNCE');
    await this.writeAll(unguarded.map((e): WriteRequest => ({ PutRequest: { Item: ledgerItem(e, provenance, at) } })));
    const complained: string[] = [];
    await this.inParallel(
      guarded,
      async (e) => {
        try {
          await this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: ledgerItem(e, provenance, at),
              ConditionExpression: `(attribute_not_exists(${PK}) OR reason <> :complaint) AND (attribute_not_exists(wantedBack) OR wantedBack <> :complaint)`,
              ExpressionAttributeValues: { ':complaint': 'COMPLAINT' },
            }),
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          complained.push(e.address);
        }
      },
      CONDITIONAL_WRITE_LANES,
    );
    if (temporary.length === 0) return complained;
    // The schedule entry first: one without its ledger entry is dropped as stale when it comes due,
    // while a ledger entry without one would never end.
    await this.writeAll(temporary.map((e): WriteRequest => ({ PutRequest: { Item: { ...expiryKey(e.address, e.until ?? ''), address: e.address, until: e.until } } })));
    const held: string[] = [];
    await this.inParallel(temporary, async (e) => {
      try {
        await this.doc.send(new PutCommand({ TableName: this.tableName, Item: ledgerItem(e, provenance, at), ConditionExpression: `attribute_not_exists(${PK})` }));
      } catch (error) {
        // On the list already (permanent, or temporary since another writer's call): that entry stands.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        held.push(e.address);
      }
    });
    // ... but if it is a complaint, this writer's BOUNCE may have landed at SES after it.
    const found = held.length > 0 ? await this.suppressions(held, true) : new Map<string, LedgerEntry>();
    for (const [address, entry] of found) if (entry.reason === 'COMPLAINT' || entry.wantedBack === 'COMPLAINT') complained.push(address);
    return complained;
  }

  public async makePermanent(address: string, at: Date): Promise<'done' | 'removing' | 'absent'> {
    // An entry only moves on (temporary → removing → gone, or permanent): each failed condition is
    // read, and a temporary entry found then is a newer one, tried again.
    for (let round = 0; round < 3; round++) {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: ledgerKey(address),
            UpdateExpression: 'REMOVE temporaryUntil SET #ttl = :ttl',
            ConditionExpression: 'attribute_exists(temporaryUntil) AND attribute_not_exists(removing)',
            ExpressionAttributeNames: { '#ttl': FEEDBACK_TABLE.timeToLiveAttribute },
            ExpressionAttributeValues: { ':ttl': ledgerExpiresAt(at) },
          }),
        );
        // Its schedule entry stays, and is dropped as stale when it comes due.
        return 'done';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const item = await this.getItem(address);
      if (item === undefined) return 'absent';
      if (item.removing !== undefined) return 'removing';
      if (item.temporaryUntil === undefined) return 'done';
    }
    throw new Error('a ledger entry changed three times while it was made permanent; retry later');
  }

  public async wantBack(address: string, reason: SuppressionReason, until?: string): Promise<boolean> {
    // A wish only grows (for a while < for longer < a bounce < a complaint): each replaces only weaker ones.
    const weaker =
      reason === 'COMPLAINT'
        ? ''
        : until === undefined
          ? ' AND (attribute_not_exists(wantedBack) OR attribute_exists(wantedUntil))'
          : ' AND (attribute_not_exists(wantedBack) OR wantedUntil < :until)';
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ledgerKey(address),
          UpdateExpression: until === undefined ? 'SET wantedBack = :reason REMOVE wantedUntil' : 'SET wantedBack = :reason, wantedUntil = :until',
          ConditionExpression: `attribute_exists(removing)${weaker}`,
          ExpressionAttributeValues: { ':reason': reason, ...(until !== undefined ? { ':until': until } : {}) },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // A wish at least as strong stands, or no removal is under way.
    const item = await this.getItem(address);
    return item?.removing !== undefined && item.wantedBack !== undefined;
  }

  public async claimDueExpiries(now: Date, limit: number, leaseSeconds: number, maxClaims: number): Promise<ClaimedExpiries> {
    const nowIso = now.toISOString();
    const leaseStart = new Date(now.getTime() - leaseSeconds * 1000).toISOString();
    const unclaimed = 'attribute_not_exists(claimedAt) OR claimedAt < :leaseStart';
    const candidates: Array<DueExpiry & { key: Record<string, string>; claims: number }> = [];
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
          if (candidates.length >= limit) break;
          candidates.push({ key: { [PK]: pk, [SK]: item[SK] as string }, address: item.address as string, until: item.until as string, claims: (item.claims as number | undefined) ?? 0 });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey && candidates.length < limit);
    }
    const exhausted = candidates.filter((c) => c.claims >= maxClaims).map(({ address, until }) => ({ address, until }));
    const claimed: DueExpiry[] = [];
    await this.inParallel(candidates.filter((c) => c.claims < maxClaims), async ({ key, address, until }) => {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET claimedAt = :now ADD claims :one',
            ConditionExpression: `attribute_exists(${PK}) AND (${unclaimed}) AND (attribute_not_exists(claims) OR claims < :max)`,
            ExpressionAttributeValues: { ':now': nowIso, ':leaseStart': leaseStart, ':one': 1, ':max': maxClaims },
          }),
        );
        claimed.push({ address, until });
      } catch (error) {
        // Another tick claimed it (or it was settled) in between.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });
    return { claimed, exhausted };
  }

  public async dropExpiries(expiries: readonly DueExpiry[]): Promise<void> {
    await this.writeAll(expiries.map((e): WriteRequest => ({ DeleteRequest: { Key: expiryKey(e.address, e.until) } })));
  }

  public async startRemoval(expiries: readonly DueExpiry[]): Promise<string[]> {
    const marked: string[] = [];
    await this.inParallel(expiries, async ({ address, until }) => {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: ledgerKey(address),
            UpdateExpression: 'SET removing = :until',
            ConditionExpression: 'temporaryUntil = :until',
            ExpressionAttributeValues: { ':until': until },
          }),
        );
        marked.push(address);
      } catch (error) {
        // Made permanent, or gone, since it was read.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });
    return marked;
  }

  public async finishRemoval(addresses: readonly string[], provenance: SuppressionProvenance, at: Date): Promise<PutBack[]> {
    const wanted: PutBack[] = [];
    const eventAt = at.toISOString();
    await this.inParallel([...new Set(addresses)], async (address) => {
      const item = await this.getItem(address);
      if (item === undefined) return; // settled before (a retry)
      const settle = (now: LedgerItem): void => {
        if (now.removing === undefined) wanted.push({ address, reason: now.reason, ...(now.temporaryUntil !== undefined ? { keepUntil: now.temporaryUntil } : {}) });
        else if (now.wantedBack !== undefined) wanted.push(wish(address, now.wantedBack, now.removing, now.wantedUntil));
      };
      if (item.removing === undefined || item.wantedBack !== undefined) {
        settle(item);
        return;
      }
      const until = item.removing;
      try {
        // The audit record, keyed by the suppression it ends, with the ledger and schedule entries'
        // end, all or none: no record of an end that did not happen.
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.tableName, Item: expiredRecord(address, item, until, provenance, at, eventAt, this.eventRetentionInDays) } },
              {
                Delete: {
                  TableName: this.tableName,
                  Key: ledgerKey(address),
                  ConditionExpression: 'removing = :until AND attribute_not_exists(wantedBack)',
                  ExpressionAttributeValues: { ':until': until },
                },
              },
              { Delete: { TableName: this.tableName, Key: expiryKey(address, until) } },
            ],
          }),
        );
      } catch (error) {
        // Wanted back (or written over) between the read and the delete; a conflict with another
        // transaction is thrown, and the message retried.
        if (!(error instanceof TransactionCanceledException) || error.CancellationReasons?.[1]?.Code !== 'ConditionalCheckFailed') throw error;
        const now = await this.getItem(address);
        if (now !== undefined) settle(now);
      }
    });
    return wanted;
  }

  public async completePutBack(entries: readonly PutBack[], at: Date): Promise<PutBack[]> {
    const again: PutBack[] = [];
    await this.inParallel(entries, async ({ address, reason, until, keepUntil }) => {
      if (until === undefined) return;
      // Back for a while: its new schedule entry first (one without its ledger entry is dropped as stale).
      if (keepUntil !== undefined) await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...expiryKey(address, keepUntil), address, until: keepUntil } }));
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: ledgerKey(address),
            UpdateExpression:
              keepUntil === undefined
                ? 'SET reason = :reason, #ttl = :ttl REMOVE temporaryUntil, removing, wantedBack, wantedUntil'
                : 'SET reason = :reason, #ttl = :ttl, temporaryUntil = :keepUntil REMOVE removing, wantedBack, wantedUntil',
            // Still the suppression this put-back settles, and no stronger wish came meanwhile.
            ConditionExpression: `temporaryUntil = :until AND (attribute_not_exists(wantedBack) OR (wantedBack = :reason${keepUntil === undefined ? '' : ' AND attribute_exists(wantedUntil)'}))`,
            ExpressionAttributeNames: { '#ttl': FEEDBACK_TABLE.timeToLiveAttribute },
            ExpressionAttributeValues: {
              ':reason': reason,
              ':ttl': ledgerExpiresAt(keepUntil === undefined ? at : new Date(keepUntil)),
              ':until': until,
              ...(keepUntil !== undefined ? { ':keepUntil': keepUntil } : {}),
            },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Settled by another writer, written over, or taken off by an operator: that stands. A
        // stronger wish that came meanwhile (a complaint while a bounce was put back) is put back again.
        const now = await this.getItem(address);
        if (now?.temporaryUntil === until && now.wantedBack !== undefined && (now.wantedBack !== reason || (keepUntil !== undefined && now.wantedUntil === undefined))) {
          again.push(wish(address, now.wantedBack, until, now.wantedUntil));
        }
        return;
      }
      await this.dropExpiries([{ address, until }]);
    });
    return again;
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
