import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getNumberFromEnv, getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { DynamoSoftBounceEscalations } from './adapters/dynamo-soft-bounce-escalations.js';
import { DynamoOperatorRequests } from './adapters/dynamo-operator-requests.js';
import { DynamoSuppressionLedger } from './adapters/dynamo-suppression-ledger.js';
import { DynamoWriterLease } from './adapters/dynamo-writer-lease.js';
import { EventBridgeSuppressionAnnouncements } from './adapters/eventbridge-suppression-announcements.js';
import { SuppressionWriterMetrics } from './adapters/writer-metrics.js';
import { SesPacer } from '../shared/adapters/ses-pacer.js';
import { SesSuppressionImports } from './adapters/ses-suppression-imports.js';
import { SesSuppressionList } from './adapters/ses-suppression-list.js';
import { SqsDeadLetters } from '../shared/adapters/sqs-dead-letters.js';
import { SqsSuppressionQueue } from '../shared/adapters/sqs-suppression-queue.js';
import { IMPORT_JOB_MAX_LOOKS, MAX_FOLLOW_DELAY_SECONDS, PIPELINE_METRICS, SES_MAX_ROWS_PER_IMPORT, SUPPRESSION_WRITER_ENV as ENV } from '../shared/contract.js';
import { SuppressionWriter } from './suppression-writer.js';
import { SES_CLIENT_SETTINGS, SUPPRESSION_WRITER_SETTINGS } from '../shared/settings.js';
import { createWriteSuppressionsHandler } from './handler.js';

/** Lambda entry point of the suppression writer: wires the real adapters from the environment the stack sets. */
const logger = new Logger({ serviceName: PIPELINE_METRICS.serviceName });
const metrics = new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.serviceName });

// One run at a time holds SES's whole rate through this pacer. Each SES call is short (3 attempts
// of at most 1 s to connect and 4 s to answer), so the run's plan (SES_CALL_BUDGET_MS per call) holds.
const requestHandler = { requestTimeout: SES_CLIENT_SETTINGS.requestTimeoutInMs, connectionTimeout: SES_CLIENT_SETTINGS.connectionTimeoutInMs };
// Never more attempts than AWS_MAX_ATTEMPTS allows (a local fault run lowers it to 1).
const maxAttempts = Math.min(SES_CLIENT_SETTINGS.maxAttempts, getNumberFromEnv({ key: 'AWS_MAX_ATTEMPTS', defaultValue: SES_CLIENT_SETTINGS.maxAttempts }));
const ses = new SESv2Client({ maxAttempts, retryMode: SES_CLIENT_SETTINGS.retryMode, requestHandler });
const pacer = new SesPacer(getNumberFromEnv({ key: ENV.sesRequestsPerSecond }));
// The queue URL names the regional endpoint already; never re-derive the endpoint from it.
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const queue = new SqsSuppressionQueue(sqs, getStringFromEnv({ key: ENV.suppressionQueueUrl }));

const dynamodb = new DynamoDBClient({});
const tableName = getStringFromEnv({ key: ENV.tableName });
const eventRetentionInDays = getNumberFromEnv({ key: ENV.eventRetentionInDays });
const ledger = new DynamoSuppressionLedger(dynamodb, tableName, undefined, eventRetentionInDays);
const writer = new SuppressionWriter({
  ledger,
  escalations: new DynamoSoftBounceEscalations(dynamodb, tableName),
  list: new SesSuppressionList(ses, pacer),
  // One attempt per CreateImportJob (the message's own retry covers a failure); GetImportJob retries.
  imports: new SesSuppressionImports({ ses, createWith: new SESv2Client({ maxAttempts: 1, requestHandler }), s3: new S3Client({}), bucketName: getStringFromEnv({ key: ENV.importBucketName }), pacer }),
  queue,
  announcements: new EventBridgeSuppressionAnnouncements(new EventBridgeClient({}), getStringFromEnv({ key: ENV.eventBusName })),
  operatorRequests: new DynamoOperatorRequests(dynamodb, tableName, ledger, eventRetentionInDays),
  importThreshold: getNumberFromEnv({ key: ENV.importThreshold }),
  maxRowsPerImport: SES_MAX_ROWS_PER_IMPORT,
  temporaryForSeconds: getNumberFromEnv({ key: ENV.temporarySuppressionSeconds }),
  removalsPerTick: SUPPRESSION_WRITER_SETTINGS.removalsPerTick,
  maxAttempts: getNumberFromEnv({ key: ENV.maxAttempts }),
  maxLooks: IMPORT_JOB_MAX_LOOKS,
  followDelay: { initialSeconds: getNumberFromEnv({ key: ENV.followInitialSeconds }), maxSeconds: MAX_FOLLOW_DELAY_SECONDS },
  runBudget: { callMs: getNumberFromEnv({ key: ENV.sesCallBudgetMs }), reserveMs: getNumberFromEnv({ key: ENV.runReserveMs }), settleMsPerRow: SUPPRESSION_WRITER_SETTINGS.settleMsPerRowOfImport },
});

export const handler = createWriteSuppressionsHandler({
  writer,
  lease: new DynamoWriterLease(dynamodb, tableName, getNumberFromEnv({ key: ENV.leaseSeconds })),
  queue,
  deadLetters: new SqsDeadLetters(sqs, getStringFromEnv({ key: ENV.deadLetterQueueUrl })),
  logger,
  metrics: new SuppressionWriterMetrics(metrics),
  maxReceiveCount: getNumberFromEnv({ key: ENV.maxReceiveCount }),
  leaseWaitSeconds: getNumberFromEnv({ key: ENV.leaseWaitSeconds }),
  leaseRetry: { everyMs: SUPPRESSION_WRITER_SETTINGS.leaseRetryEveryInMs, forMs: SUPPRESSION_WRITER_SETTINGS.leaseRetryForInMs },
  onRunStart: () => pacer.restart(),
});
