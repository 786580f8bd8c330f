import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutConfigurationSetSendingOptionsCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoGuardrailLog } from '../../lambdas/pause-sending/adapters/dynamo-guardrail-log.js';
import { EventBridgePauseAnnouncements } from '../../lambdas/pause-sending/adapters/eventbridge-pause-announcements.js';
import { SesConfigurationSetSending } from '../../lambdas/pause-sending/adapters/ses-configuration-set-sending.js';
import { SnsAlertNotifier } from '../../lambdas/shared/adapters/sns-alert-notifier.js';
import { PIPELINE_METRICS } from '../../lambdas/shared/contract.js';
import { CONFIGURATION_SET_PAUSED_EVENT, type ConfigurationSetPausedDetail } from '../../lambdas/shared/events.js';
import type { GuardrailSettings } from '../../lambdas/pause-sending/guardrail.js';
import { createPauseSendingHandler } from '../../lambdas/pause-sending/handler.js';
import { LOCAL_CLIENT_CONFIG, type RunningService } from '../../local/dynamodb-local.js';
import { LocalEventBus } from '../../local/event-bus.js';
import { startFauxqs } from '../../local/fauxqs.js';
import { LocalSes } from '../../local/ses-server.js';
import { fixtureJson } from '../support/fixtures.js';
import { freshFeedbackTable, localDynamoDb } from '../support/local-aws.js';

/**
 * The guardrail's handler with its real adapters, on the local services: SESv2's configuration-set
 * calls on the local SES endpoint (real wire format), the log on DynamoDB Local, the announcement on
 * the local EventBridge endpoint, the alert on an SNS topic of fauxqs read through an SQS queue.
 */
jest.setTimeout(60_000);

const ALARM = 'Prod-ConfigurationSets-BounceRate-critical';
const PAUSABLE = { 'ses-feedback-pipeline:pausable': 'Prod' };
const SETTINGS: GuardrailSettings = {
  alarms: [{ alarmName: ALARM, metric: 'bounce', threshold: 0.05, scope: 'per-set' }],
  pausableTag: { key: 'ses-feedback-pipeline:pausable', value: 'Prod' },
  existingPausable: [],
};

let dynamodb: DynamoDBClient;
let fauxqs: RunningService;
let ses: LocalSes;
let sesClient: SESv2Client;
let bus: LocalEventBus;
let sqs: SQSClient;
let alertQueueUrl: string;
let handler: ReturnType<typeof createPauseSendingHandler>;
let log: DynamoGuardrailLog;

beforeAll(async () => {
  dynamodb = localDynamoDb();
  const tableName = await freshFeedbackTable(dynamodb);
  ses = new LocalSes({ requestsPerSecond: 100 });
  bus = new LocalEventBus();
  const [sesEndpoint, busEndpoint] = await Promise.all([ses.start(), bus.start()]);
  fauxqs = await startFauxqs();
  const sns = new SNSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fauxqs.endpoint });
  sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fauxqs.endpoint, useQueueUrlAsEndpoint: false });
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
  alertQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'alert-inbox' }))).QueueUrl ?? '';
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: alertQueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn, Attributes: { RawMessageDelivery: 'false' } }));
  ses.configurationSets.set('Prod-marketing', { sendingEnabled: true, tags: PAUSABLE });
  ses.configurationSets.set('Prod-transactional', { sendingEnabled: true, tags: {} });
  log = new DynamoGuardrailLog(dynamodb, tableName, 365);
  sesClient = new SESv2Client({ ...LOCAL_CLIENT_CONFIG, endpoint: sesEndpoint });
  handler = createPauseSendingHandler({
    settings: SETTINGS,
    ports: {
      sending: new SesConfigurationSetSending(sesClient),
      log,
      roster: log,
      reputation: { newest: async () => ({}) },
      alerts: new SnsAlertNotifier(sns, TopicArn ?? ''),
      announcements: new EventBridgePauseAnnouncements(new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: busEndpoint }), 'default'),
    },
    logger: new Logger({ serviceName: PIPELINE_METRICS.serviceName, logLevel: 'ERROR' }),
  });
});
afterAll(async () => {
  await Promise.all([ses?.stop(), bus?.stop(), fauxqs?.stop()]);
  dynamodb?.destroy();
});

/** CloudWatch's contributor state-change event, for one set of the stack's per-set alarm, at a bounce rate. */
function alarmEvent(configurationSet: string, state: string, rate: number): unknown {
  const event = fixtureJson('derived/cloudwatch-alarm-contributor-state-change.json');
  event.detail.alarmName = ALARM;
  event.detail.alarmContributor.attributes['ses:configuration-set'] = configurationSet;
  event.detail.state.value = state;
  event.detail.state.reason = event.detail.state.reason.replace('[0.061 ', `[${rate} `);
  event.time = '2026-11-20T10:15:00Z';
  return event;
}

async function alertSubjects(): Promise<string[]> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: alertQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return Messages.map((m) => (JSON.parse(m.Body ?? '{}') as { Subject?: string }).Subject ?? '');
}

describe('the guardrail on the local services', () => {
  it('pauses marketing when it crosses its critical line, once, records it, announces it, and leaves transactional (untagged) sending', async () => {
    await handler(alarmEvent('Prod-marketing', 'ALARM', 0.061));
    await handler(alarmEvent('Prod-marketing', 'ALARM', 0.061)); // the same event again
    await handler(alarmEvent('Prod-transactional', 'ALARM', 0.07)); // not tagged pausable
    expect(Object.fromEntries(ses.configurationSets)).toEqual({ 'Prod-marketing': { sendingEnabled: false, tags: PAUSABLE }, 'Prod-transactional': { sendingEnabled: true, tags: {} } });
    expect(ses.getStats().succeeded.PutConfigurationSetSendingOptions).toBe(1);
    expect(await log.latest('Prod-marketing')).toMatchObject({ kind: 'pause', alarmName: ALARM, rate: 0.061, threshold: 0.05, at: '2026-11-20T10:15:00.000Z' });
    expect(await log.latest('Prod-transactional')).toBeUndefined();
    expect(bus.detailsOf<ConfigurationSetPausedDetail>(CONFIGURATION_SET_PAUSED_EVENT.detailType)).toEqual([
      { configurationSet: 'Prod-marketing', alarmName: ALARM, metric: 'bounce', threshold: 0.05, rate: 0.061, pausedAt: '2026-11-20T10:15:00.000Z' },
    ]);
    expect(await alertSubjects()).toEqual(['SES sending paused: Prod-marketing']);
  });

  it('keeps marketing paused through a deploy that turns it back on (a handler re-applying SES\'s default): paused again when the update finishes', async () => {
    await sesClient.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: 'Prod-marketing', SendingEnabled: true }));
    const deploy = fixtureJson('derived/cloudformation-stack-status-change.json');
    await expect(handler(deploy)).resolves.toEqual({ repaused: ['Prod-marketing'], stillPaused: [] });
    expect(Object.fromEntries(ses.configurationSets)).toEqual({ 'Prod-marketing': { sendingEnabled: false, tags: PAUSABLE }, 'Prod-transactional': { sendingEnabled: true, tags: {} } });
    expect(await alertSubjects()).toEqual(['SES sending paused again after a deploy: Prod-marketing']);
    await expect(handler(deploy)).resolves.toEqual({ repaused: [], stillPaused: ['Prod-marketing'] });
    expect(await alertSubjects()).toEqual([]);
  });

  it('does nothing, and alerts nothing, for a set SES no longer has (its series lingers 3 hours in a query)', async () => {
    ses.configurationSets.delete('Prod-marketing');
    await expect(handler(alarmEvent('Prod-marketing', 'ALARM', 0.08))).resolves.toMatchObject({ paused: [], gone: ['Prod-marketing'] });
    expect(await alertSubjects()).toEqual([]);
  });
});
