import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalEndpointResources } from '../cli/local-endpoints.js';
import { eventSourceVisibilityTimeoutInSeconds, PROCESSING_SETTINGS, QUEUE_RETENTION_IN_DAYS, SUPPRESSION_WRITER_SETTINGS } from '../lambdas/shared/settings.js';
import { LOCAL_CLIENT_CONFIG } from './dynamodb-local.js';
import { createFeedbackTable } from './feedback-table.js';

/** What the local pipeline created: the stack's resources, by their local names. */
export interface LocalResources extends LocalEndpointResources {
  readonly topicArn: string;
  readonly queueArn: string;
  readonly suppressionQueueArn: string;
  /** Where the reputation watcher alerts. */
  readonly alertTopicArn: string;
}

/** How the local work queues are made: the stack's settings, with durations compressed. */
export interface QueueSettings {
  readonly compression: number;
  readonly maxReceiveCount: number;
  readonly suppressionBatchingWindowInSeconds: number;
}

/** A stack duration in local seconds: compressed, rounded, and at least 1 (what SQS takes). */
export function localSeconds(stackSeconds: number, compression: number): number {
  return Math.max(1, Math.round(stackSeconds / compression));
}

/** Creates the stack's queues, topics, bucket and table on the local services, as the stack makes them. */
export async function createResources(fauxqsEndpoint: string, dynamoEndpoint: string, settings: QueueSettings): Promise<LocalResources> {
  const { compression, maxReceiveCount } = settings;
  const sns = new SNSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fauxqsEndpoint });
  const sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fauxqsEndpoint, useQueueUrlAsEndpoint: false });
  const dynamodb = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: dynamoEndpoint });
  const s3 = new S3Client({ ...LOCAL_CLIENT_CONFIG, endpoint: fauxqsEndpoint });
  try {
    const seconds = (stackSeconds: number): string => String(localSeconds(stackSeconds, compression));
    const days = (n: number): number => n * 86_400;
    // Work queues as the stack makes them: visibility timeout (compressed) and redrive to a
    // dead-letter queue of their own.
    const workQueue = async (name: string, visibilityInSeconds: number): Promise<{ url: string; arn: string; deadLetterQueueUrl: string }> => {
      const deadLetterQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq`, Attributes: { MessageRetentionPeriod: seconds(days(QUEUE_RETENTION_IN_DAYS.deadLetter)) } }))).QueueUrl ?? '';
      const attributes = {
        VisibilityTimeout: seconds(visibilityInSeconds),
        MessageRetentionPeriod: seconds(days(QUEUE_RETENTION_IN_DAYS.source)),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, deadLetterQueueUrl), maxReceiveCount }),
      };
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl ?? '';
      return { url, arn: await queueArn(sqs, url), deadLetterQueueUrl };
    };
    const writerTimeoutInSeconds = SUPPRESSION_WRITER_SETTINGS.timeoutInMinutes * 60;
    const feedback = await workQueue('ses-feedback', eventSourceVisibilityTimeoutInSeconds(PROCESSING_SETTINGS.timeoutInSeconds, PROCESSING_SETTINGS.maxBatchingWindowInSeconds));
    const suppressions = await workQueue('ses-feedback-suppressions', eventSourceVisibilityTimeoutInSeconds(writerTimeoutInSeconds, settings.suppressionBatchingWindowInSeconds));
    const { url: queueUrl, arn } = feedback;
    const importBucketName = 'ses-feedback-imports';
    await s3.send(new CreateBucketCommand({ Bucket: importBucketName }));
    const topic = await sns.send(new CreateTopicCommand({ Name: 'ses-feedback' }));
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: arn }));
    const alerts = await sns.send(new CreateTopicCommand({ Name: 'ses-feedback-alerts' }));
    const tableName = 'ses-feedback';
    await createFeedbackTable(dynamodb, tableName);
    return {
      topicArn: topic.TopicArn ?? '',
      queueUrl,
      queueArn: arn,
      deadLetterQueueUrl: feedback.deadLetterQueueUrl,
      suppressionQueueUrl: suppressions.url,
      suppressionQueueArn: suppressions.arn,
      suppressionDeadLetterQueueUrl: suppressions.deadLetterQueueUrl,
      tableName,
      importBucketName,
      alertTopicArn: alerts.TopicArn ?? '',
    };
  } finally {
    s3.destroy();
    sns.destroy();
    sqs.destroy();
    dynamodb.destroy();
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  if (!Attributes.QueueArn) throw new Error(`no ARN for queue ${queueUrl}`);
  return Attributes.QueueArn;
}

