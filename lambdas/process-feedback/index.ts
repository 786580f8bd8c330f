import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getNumberFromEnv, getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { DynamoFeedbackStore } from './adapters/dynamo-feedback-store.js';
import { FeedbackMetrics } from './adapters/feedback-metrics.js';
import { SqsDeadLetters } from '../shared/adapters/sqs-dead-letters.js';
import { SqsSuppressionQueue } from '../shared/adapters/sqs-suppression-queue.js';
import { PIPELINE_METRICS, PROCESS_FEEDBACK_ENV as ENV } from '../shared/contract.js';
import { FeedbackProcessor } from './feedback-processor.js';
import { validatePolicy } from './soft-bounce-policy.js';
import { createProcessFeedbackHandler } from './handler.js';

/** Lambda entry point: wires the real adapters from the environment the stack sets. */
const logger = new Logger({ serviceName: PIPELINE_METRICS.serviceName });
const metrics = new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.serviceName });

const processor = new FeedbackProcessor({
  store: new DynamoFeedbackStore({
    client: new DynamoDBClient({}),
    tableName: getStringFromEnv({ key: ENV.tableName }),
    eventRetentionInDays: getNumberFromEnv({ key: ENV.eventRetentionInDays }),
  }),
  softBouncePolicy: validatePolicy({
    threshold: getNumberFromEnv({ key: ENV.softBounceThreshold }),
    windowInDays: getNumberFromEnv({ key: ENV.softBounceWindowInDays }),
  }),
  campaignTagName: getStringFromEnv({ key: ENV.campaignTagName }),
});

// The queue URLs name the regional endpoint already; never re-derive the endpoint from them.
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });

export const handler = createProcessFeedbackHandler({
  processor,
  suppressions: new SqsSuppressionQueue(sqs, getStringFromEnv({ key: ENV.suppressionQueueUrl })),
  deadLetters: new SqsDeadLetters(sqs, getStringFromEnv({ key: ENV.deadLetterQueueUrl })),
  logger,
  metrics: new FeedbackMetrics(metrics),
  maxReceiveCount: getNumberFromEnv({ key: ENV.maxReceiveCount }),
});
