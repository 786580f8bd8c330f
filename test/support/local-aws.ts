import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CLIENT_CONFIG } from '../../local/dynamodb-local.js';
import { createFeedbackTable } from '../../local/feedback-table.js';

/** A client for the DynamoDB Local that the jest global setup started. */
export function localDynamoDb(): DynamoDBClient {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run through jest (global setup starts DynamoDB Local)');
  return new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint });
}

/** A fresh feedback table with a unique name, so tests never share state. */
export async function freshFeedbackTable(client: DynamoDBClient): Promise<string> {
  const name = `feedback-${randomUUID()}`;
  await createFeedbackTable(client, name);
  return name;
}
