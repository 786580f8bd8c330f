import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { FEEDBACK_TABLE } from '../../shared/contract.js';
import type { AccountSnapshot, AccountSnapshots } from '../reputation-watcher.js';

const { partitionKey: PK, sortKey: SK, account } = FEEDBACK_TABLE;

/**
 * {@link AccountSnapshots} on the feedback table: `pk = ACCOUNT`, `sk = SNAPSHOT#<at>`, one item per
 * look (96 a day), expiring with the event retention. The newest is one Query away.
 */
export class DynamoAccountSnapshots implements AccountSnapshots {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionInDays: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  public async latest(): Promise<AccountSnapshot | undefined> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': account.partitionKey, ':prefix': account.snapshotPrefix },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    return Items[0] ? toSnapshot(Items[0]) : undefined;
  }

  public async put(snapshot: AccountSnapshot): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [PK]: account.partitionKey,
          [SK]: `${account.snapshotPrefix}${snapshot.at}`,
          ...snapshot,
          [FEEDBACK_TABLE.timeToLiveAttribute]: Math.floor(Date.parse(snapshot.at) / 1000) + this.retentionInDays * 86_400,
        },
      }),
    );
  }
}

/** An item of the snapshot layout back as a snapshot (also what the report reads). */
export function toSnapshot(item: Record<string, unknown>): AccountSnapshot {
  return {
    at: item.at as string,
    enforcementStatus: item.enforcementStatus as string,
    sendingEnabled: item.sendingEnabled as boolean,
    productionAccess: (item.productionAccess as boolean | undefined) ?? true,
    bounceRate: (item.bounceRate as number | null | undefined) ?? null,
    complaintRate: (item.complaintRate as number | null | undefined) ?? null,
  };
}
