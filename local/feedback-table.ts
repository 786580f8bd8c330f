import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { FEEDBACK_TABLE } from '../lambdas/contract.js';

/**
 * Creates the feedback table with the layout the stack declares (`FEEDBACK_TABLE`, the single
 * source of truth for both), for local runs and integration tests.
 */
export async function createFeedbackTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const index = FEEDBACK_TABLE.timeIndex;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: FEEDBACK_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: FEEDBACK_TABLE.sortKey, AttributeType: 'S' },
        { AttributeName: FEEDBACK_TABLE.timeSortKey, AttributeType: 'S' },
        { AttributeName: index.partitionKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: FEEDBACK_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: FEEDBACK_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: FEEDBACK_TABLE.timeSortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projectedAttributes] },
        },
      ],
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: FEEDBACK_TABLE.timeToLiveAttribute, Enabled: true },
    }),
  );
}
