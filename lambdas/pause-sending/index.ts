import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { getNumberFromEnv, getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { CloudWatchSetReputation } from './adapters/cloudwatch-set-reputation.js';
import { DynamoGuardrailLog } from './adapters/dynamo-guardrail-log.js';
import { EventBridgePauseAnnouncements } from './adapters/eventbridge-pause-announcements.js';
import { SesConfigurationSetSending } from './adapters/ses-configuration-set-sending.js';
import { SesPacer } from '../shared/adapters/ses-pacer.js';
import { SnsAlertNotifier } from '../shared/adapters/sns-alert-notifier.js';
import { PAUSE_SENDING_SETTINGS } from '../shared/settings.js';
import { PAUSE_SENDING_ENV as ENV, PIPELINE_METRICS } from '../shared/contract.js';
import { readGuardrailSettings } from './guardrail.js';
import { createPauseSendingHandler } from './handler.js';

const log = new DynamoGuardrailLog(new DynamoDBClient({}), getStringFromEnv({ key: ENV.tableName }), getNumberFromEnv({ key: ENV.retentionInDays }));

/** Lambda entry point of the guardrail: wires the real adapters from the environment the stack sets. */
export const handler = createPauseSendingHandler({
  settings: readGuardrailSettings(getStringFromEnv({ key: ENV.settings })),
  ports: {
    // Paced within SES's ~1 request/s: an account-wide alarm reads every set of the account.
    sending: new SesConfigurationSetSending(new SESv2Client({}), new SesPacer(PAUSE_SENDING_SETTINGS.sesRequestsPerSecond)),
    log,
    roster: log,
    reputation: new CloudWatchSetReputation(new CloudWatchClient({})),
    alerts: new SnsAlertNotifier(new SNSClient({}), getStringFromEnv({ key: ENV.alertTopicArn })),
    announcements: new EventBridgePauseAnnouncements(new EventBridgeClient({}), getStringFromEnv({ key: ENV.eventBusName })),
  },
  logger: new Logger({ serviceName: PIPELINE_METRICS.serviceName }),
});
