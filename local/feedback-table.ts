import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { FEEDBACK_TABLE } from '../lambdas/shared/contract.js';

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

/**
 * The pages of a full scan for the table's event items (sort key `EVENT#...`): for checking what a
 * local run recorded, never for the pipeline or the CLI, which read by key and by the time index.
 */
async function* eventPages(client: DynamoDBClient, tableName: string, select: 'ALL_ATTRIBUTES' | 'COUNT'): AsyncGenerator<ScanCommandOutput> {
  const doc = DynamoDBDocumentClient.from(client);
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        Select: select,
        FilterExpression: 'begins_with(#sk, :event)',
        ExpressionAttributeNames: { '#sk': FEEDBACK_TABLE.sortKey },
        ExpressionAttributeValues: { ':event': FEEDBACK_TABLE.keyPrefixes.event },
        ExclusiveStartKey: start,
      }),
    );
    yield page;
    start = page.LastEvaluatedKey;
  } while (start);
}

/** Every event item of the table, as the caller reads them, by a full scan (local checks only). */
export async function scanEventItems<Item = Record<string, unknown>>(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of eventPages(client, tableName, 'ALL_ATTRIBUTES')) items.push(...((page.Items ?? []) as Item[]));
  return items;
}

/** How many event items the table holds, by a full scan that returns only counts (local checks only). */
export async function countEventItems(client: DynamoDBClient, tableName: string): Promise<number> {
  let count = 0;
  for await (const page of eventPages(client, tableName, 'COUNT')) count += page.Count ?? 0;
  return count;
}
