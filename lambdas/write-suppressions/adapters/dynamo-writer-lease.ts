import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { FEEDBACK_TABLE } from '../../shared/contract.js';
import type { WriterLease } from '../ports.js';

const KEY = { [FEEDBACK_TABLE.partitionKey]: FEEDBACK_TABLE.writerLease.partitionKey, [FEEDBACK_TABLE.sortKey]: FEEDBACK_TABLE.writerLease.sortKey };

/**
 * {@link WriterLease} as one item of the feedback table, taken by a conditional put: free, lapsed,
 * or already this holder's. Its length is the function's timeout plus a margin (the stack sets it,
 * and a test pins it), so a lease left by a run Lambda ended lapses only once that run is gone.
 */
export class DynamoWriterLease implements WriterLease {
  private readonly doc: DynamoDBDocumentClient;

  public constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly leaseSeconds: number,
    private readonly clock: () => Date = () => new Date(),
  ) {
    if (!(leaseSeconds > 0)) throw new Error(`leaseSeconds must be more than 0, got ${leaseSeconds}`);
    this.doc = DynamoDBDocumentClient.from(client);
  }

  public async acquire(holder: string): Promise<boolean> {
    const now = this.clock().getTime();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...KEY, holder, heldUntil: now + this.leaseSeconds * 1000, [FEEDBACK_TABLE.timeToLiveAttribute]: Math.ceil(now / 1000) + this.leaseSeconds + 86_400 },
          ConditionExpression: `attribute_not_exists(${FEEDBACK_TABLE.partitionKey}) OR heldUntil < :now OR holder = :holder`,
          ExpressionAttributeValues: { ':now': now, ':holder': holder },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  public async release(holder: string): Promise<void> {
    try {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: KEY, ConditionExpression: 'holder = :holder', ExpressionAttributeValues: { ':holder': holder } }));
    } catch (error) {
      // Lapsed and taken by another run: it is that run's now.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
