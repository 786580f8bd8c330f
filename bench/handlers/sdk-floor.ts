/**
 * The cold-start floor of the work: the two AWS SDK clients any SQS-fed handler that records to
 * DynamoDB and hands on through SQS must load and construct, and nothing else.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const dynamodb = new DynamoDBClient({});
const sqs = new SQSClient({});

export const handler = async (event: { Records: Array<{ body: string }> }): Promise<Record<string, never>> => {
  for (const record of event.Records) await dynamodb.send(new PutItemCommand({ TableName: 'events', Item: { pk: { S: record.body } } }));
  await sqs.send(new SendMessageCommand({ QueueUrl: 'queue', MessageBody: 'done' }));
  return {};
};
