import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getNumberFromEnv, getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { DynamoFeedbackStore } from '../adapters/dynamo-feedback-store.js';
import { DynamoSuppressionLedger } from '../adapters/dynamo-suppression-ledger.js';
import { EventBridgeSuppressionAnnouncements } from '../adapters/eventbridge-suppression-announcements.js';
import { SuppressionWriterMetrics } from '../adapters/feedback-metrics.js';
import { SesPacer } from '../adapters/ses-pacer.js';
import { SesSuppressionImports } from '../adapters/ses-suppression-imports.js';
import { SesSuppressionList } from '../adapters/ses-suppression-list.js';
import { SqsDeadLetters } from '../adapters/sqs-dead-letters.js';
import { SqsSuppressionQueue } from '../adapters/sqs-suppression-queue.js';
import {
  EXPIRY_LEASE_SECONDS,
  IMPORT_JOB_MAX_LOOKS,
  MAX_EXPIRY_CLAIMS,
  MAX_FOLLOW_DELAY_SECONDS,
  PIPELINE_METRICS,
  SES_MAX_ROWS_PER_DELETE,
  SES_MAX_ROWS_PER_IMPORT,
  SUPPRESSION_WRITER_ENV as ENV,
} from '../contract.js';
import { SuppressionWriter } from '../domain/index.js';
import { createWriteSuppressionsHandler } from './write-suppressions-handler.js';

/** Lambda entry point of the suppression writer: wires the real adapters from the environment the stack sets. */
const logger = new Logger({ serviceName: PIPELINE_METRICS.serviceName });
const metrics = new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.serviceName });

// Retry mode and attempts come from AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, which the stack sets
// (adaptive, 8); the pacer keeps this instance within its share of SES's ~1 request/s.
const ses = new SESv2Client({});
const pacer = new SesPacer(getNumberFromEnv({ key: ENV.sesRequestsPerSecond }));
// The queue URL names the regional endpoint already; never re-derive the endpoint from it.
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const queue = new SqsSuppressionQueue(sqs, getStringFromEnv({ key: ENV.suppressionQueueUrl }), getStringFromEnv({ key: ENV.importJobQueueUrl }));

const dynamodb = new DynamoDBClient({});
const tableName = getStringFromEnv({ key: ENV.tableName });
const eventRetentionInDays = getNumberFromEnv({ key: ENV.eventRetentionInDays });
const writer = new SuppressionWriter({
  ledger: new DynamoSuppressionLedger(dynamodb, tableName, undefined, eventRetentionInDays),
  escalations: new DynamoFeedbackStore({ client: dynamodb, tableName, eventRetentionInDays }),
  list: new SesSuppressionList(ses, pacer),
  // One attempt per import-job call: an SDK retry of a CreateImportJob that timed out after SES created
  // the job would create a second one, the first unfollowed. The message's own retry covers a failure.
  imports: new SesSuppressionImports({ ses: new SESv2Client({ maxAttempts: 1 }), s3: new S3Client({}), bucketName: getStringFromEnv({ key: ENV.importBucketName }), pacer }),
  queue,
  announcements: new EventBridgeSuppressionAnnouncements(new EventBridgeClient({}), getStringFromEnv({ key: ENV.eventBusName })),
  importThreshold: getNumberFromEnv({ key: ENV.importThreshold }),
  maxRowsPerImport: SES_MAX_ROWS_PER_IMPORT,
  maxRowsPerDelete: SES_MAX_ROWS_PER_DELETE,
  temporaryForSeconds: getNumberFromEnv({ key: ENV.temporarySuppressionSeconds }),
  expiryLeaseSeconds: EXPIRY_LEASE_SECONDS,
  maxExpiryClaims: MAX_EXPIRY_CLAIMS,
  lookAgainAfterSeconds: getNumberFromEnv({ key: ENV.lookAgainAfterSeconds }),
  maxAttempts: getNumberFromEnv({ key: ENV.maxAttempts }),
  maxLooks: IMPORT_JOB_MAX_LOOKS,
  followDelay: { initialSeconds: getNumberFromEnv({ key: ENV.followInitialSeconds }), maxSeconds: MAX_FOLLOW_DELAY_SECONDS },
});

export const handler = createWriteSuppressionsHandler({
  writer,
  deadLetters: new SqsDeadLetters(sqs, getStringFromEnv({ key: ENV.deadLetterQueueUrl })),
  logger,
  metrics: new SuppressionWriterMetrics(metrics),
  maxReceiveCount: getNumberFromEnv({ key: ENV.maxReceiveCount }),
});
