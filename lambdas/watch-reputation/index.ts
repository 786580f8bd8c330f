import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getNumberFromEnv, getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { DynamoAccountSnapshots } from './adapters/dynamo-account-snapshots.js';
import { SesAccountReader } from './adapters/ses-account-reader.js';
import { SnsAlertNotifier } from '../shared/adapters/sns-alert-notifier.js';
import { PIPELINE_METRICS, REPUTATION_WATCHER_ENV as ENV } from '../shared/contract.js';
import { ReputationWatcher } from './reputation-watcher.js';
import { createWatchReputationHandler } from './handler.js';

/** Lambda entry point of the reputation watcher: wires the real adapters from the environment the stack sets. */
const watcher = new ReputationWatcher({
  account: new SesAccountReader(new SESv2Client({}), new CloudWatchClient({})),
  snapshots: new DynamoAccountSnapshots(new DynamoDBClient({}), getStringFromEnv({ key: ENV.tableName }), getNumberFromEnv({ key: ENV.snapshotRetentionInDays })),
  alerts: new SnsAlertNotifier(new SNSClient({}), getStringFromEnv({ key: ENV.alertTopicArn })),
});

export const handler = createWatchReputationHandler({
  watcher,
  logger: new Logger({ serviceName: PIPELINE_METRICS.serviceName }),
  metrics: new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.serviceName }),
});
