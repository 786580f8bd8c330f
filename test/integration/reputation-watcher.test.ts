import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { AuditTrail } from '../../cli/audit-trail.js';
import { AppealReportBuilder } from '../../cli/report/appeal-report.js';
import { DynamoAccountSnapshots } from '../../lambdas/watch-reputation/adapters/dynamo-account-snapshots.js';
import { SesAccountReader } from '../../lambdas/watch-reputation/adapters/ses-account-reader.js';
import { SnsAlertNotifier } from '../../lambdas/shared/adapters/sns-alert-notifier.js';
import { PIPELINE_METRICS } from '../../lambdas/shared/contract.js';
import { ReputationWatcher } from '../../lambdas/watch-reputation/reputation-watcher.js';
import { createWatchReputationHandler } from '../../lambdas/watch-reputation/handler.js';
import { LocalCloudWatch } from '../../local/cloudwatch.js';
import { LOCAL_CLIENT_CONFIG } from '../../local/dynamodb-local.js';
import { startFauxqs } from '../../local/fauxqs.js';
import type { RunningService } from '../../local/dynamodb-local.js';
import { LocalSes } from '../../local/ses-server.js';
import { captureLogs } from '../support/capture-logs.js';
import { freshFeedbackTable, localDynamoDb } from '../support/local-aws.js';

/**
 * The reputation watcher's handler with its real adapters: SESv2 GetAccount against the local SES
 * endpoint (whose enforcement status the test changes, as AWS would), CloudWatch GetMetricData
 * against a small AWS JSON 1.0 endpoint, snapshots in DynamoDB Local, alerts through fauxqs SNS to
 * an SQS queue the test reads.
 */
jest.setTimeout(60_000);

let dynamodb: DynamoDBClient;
let ses: LocalSes;
let fauxqs: RunningService;
const clients: Array<{ destroy(): void }> = [];
/** Answers GetMetricData: the latest bounce and complaint rates (`cloudwatch.rates`). */
const cloudwatch = new LocalCloudWatch();
let cloudwatchEndpoint: string;

beforeAll(async () => {
  dynamodb = localDynamoDb();
  ses = new LocalSes({ requestsPerSecond: 100 });
  fauxqs = await startFauxqs();
  Object.assign(cloudwatch.rates, { bounce: 0.012, complaint: 0.0003 });
  cloudwatchEndpoint = await cloudwatch.start();
});
afterAll(async () => {
  clients.forEach((c) => c.destroy());
  dynamodb?.destroy();
  await Promise.all([ses?.stop(), fauxqs?.stop(), cloudwatch.stop()]);
});

async function watcherOnLocalServices() {
  const tableName = await freshFeedbackTable(dynamodb);
  const config = { ...LOCAL_CLIENT_CONFIG };
  const sns = new SNSClient({ ...config, endpoint: fauxqs.endpoint });
  const sqs = new SQSClient({ ...config, endpoint: fauxqs.endpoint, useQueueUrlAsEndpoint: false });
  const sesClient = new SESv2Client({ ...config, endpoint: await ses.start() });
  const cloudwatchClient = new CloudWatchClient({ ...config, endpoint: cloudwatchEndpoint });
  clients.push(sns, sqs, sesClient, cloudwatchClient);
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `alerts-${Date.now()}` }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `alerts-${Date.now()}` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn, Attributes: { RawMessageDelivery: 'false' } }));
  let now = new Date('2026-11-23T10:00:00.000Z');
  const handler = createWatchReputationHandler({
    watcher: new ReputationWatcher({
      account: new SesAccountReader(sesClient, cloudwatchClient, () => now),
      snapshots: new DynamoAccountSnapshots(dynamodb, tableName, 365),
      alerts: new SnsAlertNotifier(sns, TopicArn as string),
    }),
    logger: new Logger({ serviceName: PIPELINE_METRICS.serviceName }),
    metrics: new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.serviceName }),
    clock: () => now,
  });
  const alerts = async (): Promise<Array<{ Subject: string; Message: string }>> => {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    return Messages.map((m) => JSON.parse(m.Body ?? '{}') as { Subject: string; Message: string });
  };
  const look = async (minute: number) => {
    now = new Date(Date.UTC(2026, 10, 23, 10, minute));
    let summary: Awaited<ReturnType<typeof handler>> | undefined;
    const lines = await captureLogs(async () => (summary = await handler()));
    return { summary, lines: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  };
  return { tableName, look, alerts };
}

describe('reputation watcher on local services', () => {
  it('keeps a snapshot per look, alerts the topic when the account goes under review and when it recovers, and publishes AccountUnhealthy', async () => {
    const { tableName, look, alerts } = await watcherOnLocalServices();
    ses.account.enforcementStatus = 'HEALTHY';
    const first = await look(0);
    expect(first.summary).toEqual({ enforcementStatus: 'HEALTHY', sendingEnabled: true, healthy: true, changed: false });
    expect(await alerts()).toEqual([]);

    ses.account.enforcementStatus = 'PROBATION';
    cloudwatch.rates.bounce = 0.0612;
    const review = await look(15);
    const emf = review.lines.find((l) => l._aws);
    expect(emf).toMatchObject({ AccountUnhealthy: 1, EnforcementStatusChanges: 1, Component: 'reputation-watcher', service: 'ses-feedback-pipeline' });
    expect(review.lines.find((l) => l.message === 'SES account enforcement changed; alert sent')).toMatchObject({ level: 'WARN', enforcementStatus: 'PROBATION', bounceRate: 0.0612 });
    const [alert, ...more] = await alerts();
    expect(more).toEqual([]);
    expect(alert?.Subject).toBe('SES account PROBATION: act now');
    expect(alert?.Message).toContain('HEALTHY -> PROBATION at 2026-11-23T10:15:00.000Z');
    expect(alert?.Message).toContain('Bounce rate 6.12 %');

    await look(30); // still under review: no second alert
    expect(await alerts()).toEqual([]);
    ses.account.enforcementStatus = 'HEALTHY';
    await look(45);
    expect((await alerts()).map((a) => a.Subject)).toEqual(['SES account back to HEALTHY']);

    // the snapshots are the report's enforcement history
    const snapshots = await new AuditTrail(dynamodb, tableName).snapshots(new Date('2026-11-23T00:00:00Z'), new Date('2026-11-23T23:59:59Z'));
    expect(snapshots.map((s) => `${s.at.slice(11, 16)} ${s.enforcementStatus} ${s.bounceRate}`)).toEqual([
      '10:00 HEALTHY 0.012',
      '10:15 PROBATION 0.0612',
      '10:30 PROBATION 0.0612',
      '10:45 HEALTHY 0.0612',
    ]);
    const report = new AppealReportBuilder(false).build({
      from: new Date('2026-11-23T00:00:00Z'),
      until: new Date('2026-11-23T23:59:59Z'),
      generatedAt: new Date('2026-11-24T00:00:00Z'),
      target: { kind: 'local', name: 'test' },
      liveSince: null,
      thresholds: { bounceRate: { warning: 0.03, critical: 0.05 }, complaintRate: { warning: 0.0008, critical: 0.001 }, aws: { bounceRate: { review: 0.05, pause: 0.1 }, complaintRate: { review: 0.001, pause: 0.005 } }, softBounce: { threshold: 5, windowInDays: 30 } },
      alarms: [],
      snapshots,
      blockDetails: new Map(),
      showAddresses: false,
    });
    expect(report.enforcementHistory.map((s) => s.enforcementStatus)).toEqual(['HEALTHY', 'PROBATION', 'HEALTHY']);
    expect(report.days[0]?.bounceRate).toBe(0.0612);
  });
});
