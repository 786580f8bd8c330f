import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getNumberFromEnv, getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { DynamoFeedbackStore } from '../adapters/dynamo-feedback-store.js';
import { FeedbackMetrics } from '../adapters/feedback-metrics.js';
import { SesSuppressionList } from '../adapters/ses-suppression-list.js';
import { SqsDeadLetters } from '../adapters/sqs-dead-letters.js';
import { PIPELINE_METRICS, PROCESS_FEEDBACK_ENV as ENV } from '../contract.js';
import { FeedbackProcessor, validatePolicy } from '../domain/index.js';
import { createProcessFeedbackHandler } from './process-feedback-handler.js';

/** Lambda entry point: wires the real adapters from the environment the stack sets. */
const logger = new Logger({ serviceName: PIPELINE_METRICS.serviceName });
const metrics = new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.serviceName });

const processor = new FeedbackProcessor({
  store: new DynamoFeedbackStore({
    client: new DynamoDBClient({}),
    tableName: getStringFromEnv({ key: ENV.tableName }),
    eventRetentionInDays: getNumberFromEnv({ key: ENV.eventRetentionInDays }),
  }),
  // Adaptive retry: client-side rate limiting and backoff for SES's ~1 request/s account limit.
  // Retry mode and attempts come from AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, which the stack sets
  // (adaptive, 8): client-side rate limiting and backoff for SES's ~1 request/s account limit.
  suppressionList: new SesSuppressionList(
    new SESv2Client({}),
    getNumberFromEnv({ key: ENV.sesRequestsPerSecond }),
  ),
  softBouncePolicy: validatePolicy({
    threshold: getNumberFromEnv({ key: ENV.softBounceThreshold }),
    windowInDays: getNumberFromEnv({ key: ENV.softBounceWindowInDays }),
  }),
  campaignTagName: getStringFromEnv({ key: ENV.campaignTagName }),
  suppressionLeaseInSeconds: getNumberFromEnv({ key: ENV.suppressionLeaseInSeconds }),
});

export const handler = createProcessFeedbackHandler({
  processor,
  // The queue URL names the regional endpoint already; never re-derive the endpoint from it.
  deadLetters: new SqsDeadLetters(new SQSClient({ useQueueUrlAsEndpoint: false }), getStringFromEnv({ key: ENV.deadLetterQueueUrl })),
  logger,
  metrics: new FeedbackMetrics(metrics),
});
