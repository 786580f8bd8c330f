/**
 * The baseline users compare us with: the hand-written SNS → Lambda function of countless blog
 * posts. One invocation per SNS message; per recipient, one DynamoDB PutItem of the whole message
 * and, for a permanent bounce or a complaint, one PutSuppressedDestination; no duplicate check,
 * no batching, the AWS SDK bundled whole (not minified). Run by the bench only.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutSuppressedDestinationCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { SNSEvent } from 'aws-lambda';

const dynamodb = new DynamoDBClient({});
const ses = new SESv2Client({});
const tableName = process.env.NAIVE_TABLE_NAME ?? 'naive-feedback';

interface Feedback {
  eventType?: string;
  notificationType?: string;
  mail: { messageId: string; destination: string[] };
  bounce?: { bounceType: string; bouncedRecipients: Array<{ emailAddress: string }> };
  complaint?: { complainedRecipients: Array<{ emailAddress: string }> };
}

export const handler = async (event: SNSEvent): Promise<void> => {
  for (const record of event.Records) {
    const message = JSON.parse(record.Sns.Message) as Feedback;
    const type = message.eventType ?? message.notificationType;
    const recipients =
      type === 'Bounce'
        ? (message.bounce?.bouncedRecipients ?? []).map((r) => r.emailAddress)
        : type === 'Complaint'
          ? (message.complaint?.complainedRecipients ?? []).map((r) => r.emailAddress)
          : message.mail.destination;
    for (const address of recipients) {
      await dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: address }, sk: { S: `${message.mail.messageId}#${type}` }, message: { S: record.Sns.Message } },
        }),
      );
      const suppress = (type === 'Bounce' && message.bounce?.bounceType === 'Permanent') || type === 'Complaint';
      if (suppress) await ses.send(new PutSuppressedDestinationCommand({ EmailAddress: address, Reason: type === 'Bounce' ? 'BOUNCE' : 'COMPLAINT' }));
    }
  }
};
