import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CfnParameter, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PROCESS_FEEDBACK_ENV as ENV, REPUTATION_WATCHER_ENV as WATCHER_ENV, SUPPRESSION_WRITER_ENV as WRITER_ENV } from '../../lambdas/shared/contract.js';
import { SesFeedbackPipeline } from '../../lib/ses-feedback-pipeline.js';
import { SesFeedbackStack } from '../../lib/ses-feedback-stack.js';
import { type SesFeedbackPipelineProps } from '../../lib/pipeline-props.js';
import { SUPPRESSION_WRITER_SETTINGS } from '../../lambdas/shared/settings.js';
import { appWithoutBundling, streams } from '../support/cdk-app.js';

function template(props?: SesFeedbackPipelineProps): Template {
  const app = appWithoutBundling();
  return Template.fromStack(new SesFeedbackStack(app, 'Test', { pipeline: props }));
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Principal?: unknown; Condition?: unknown; Sid?: string };
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

let defaults: Template;
beforeAll(() => {
  defaults = template();
});

describe('alarms', () => {
  const alarms = () => Object.values(defaults.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties);

  it('creates exactly 17 alarms: 4 account, 4 over every configuration set, 5 pipeline health, 2 enforcement watch, 1 provider blocks, 1 guardrail', () => {
    defaults.resourceCountIs('AWS::CloudWatch::Alarm', 17);
  });

  it.each([
    ['Reputation.BounceRate', [0.03, 0.05]],
    ['Reputation.ComplaintRate', [0.0008, 0.001]],
  ])('alarms on the account\'s %s at >= %j, keeping state on missing data', (metricName, thresholds) => {
    const matching = alarms().filter((a) => a.MetricName === metricName);
    expect(matching.map((a) => a.Threshold).sort()).toEqual(thresholds);
    for (const alarm of matching) {
      expect(alarm).toMatchObject({ Namespace: 'AWS/SES', ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'ignore', Statistic: 'Maximum', AlarmActions: [{ Ref: expect.stringMatching(/AlertTopic/) }] });
      expect(alarm.Dimensions).toBeUndefined();
    }
  });

  it.each([
    ['Reputation.BounceRate', [0.03, 0.05]],
    ['Reputation.ComplaintRate', [0.0008, 0.001]],
  ])('alarms on every configuration set\'s %s at >= %j with one Metrics Insights query, a contributor per set', (metricName, thresholds) => {
    const query = `SELECT MAX("${metricName}") FROM SCHEMA("AWS/SES", "ses:configuration-set") GROUP BY "ses:configuration-set" ORDER BY MAX() DESC`;
    const matching = alarms().filter((a) => a.Metrics?.[0]?.Expression === query);
    expect(matching.map((a) => a.Threshold).sort()).toEqual(thresholds);
    for (const alarm of matching) {
      expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'ignore', EvaluationPeriods: 1, Metrics: [{ Period: 900, ReturnData: true }] });
      expect(alarm.Metrics).toHaveLength(1);
    }
  });

  it('has as many alarms with 100 managed and 100 existing sets as with 2', () => {
    const many = template({ managedConfigurationSetNames: ['transactional', ...streams(99)], existingConfigurationSetNames: streams(100, 'legacy') });
    many.resourceCountIs('AWS::CloudWatch::Alarm', 17);
  });

  it('alarms on pipeline health: dead letters, feedback waiting 15 min, suppressions waiting 30 min, a function failing for good, the enforcement status', () => {
    const health = alarms().filter((a) => a.Namespace !== 'AWS/SES' && a.Metrics === undefined);
    expect(health.map((a) => [a.Namespace, a.MetricName, a.Period, a.Threshold, a.EvaluationPeriods, a.DatapointsToAlarm, a.TreatMissingData]).sort()).toEqual([
      // Queue-fed functions: a crash in 2 periods in a row, each a minute longer than the queue's visibility timeout (6 min 5 s; 18 min 20 s).
      ['AWS/Lambda', 'AsyncEventsDropped', 300, 1, 1, 1, 'notBreaching'],
      ['AWS/Lambda', 'AsyncEventsDropped', 3600, 1, 1, 1, 'notBreaching'],
      ['AWS/Lambda', 'Errors', 1200, 1, 2, 2, 'notBreaching'],
      ['AWS/Lambda', 'Errors', 480, 1, 2, 2, 'notBreaching'],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 300, 1800, 1, 1, 'notBreaching'],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 300, 900, 1, 1, 'notBreaching'],
      ['SesFeedbackPipeline', 'AccountUnhealthy', 900, 1, 1, 1, 'ignore'],
    ]);
    const visibility = Object.entries(defaults.findResources('AWS::SQS::Queue')).filter(([, q]) => q.Properties.RedrivePolicy).map(([, q]) => q.Properties.VisibilityTimeout as number).sort((a, b) => a - b);
    const crashPeriods = health.filter((a) => a.MetricName === 'Errors').map((a) => a.Period as number).sort((a, b) => a - b);
    expect(crashPeriods.map((period, i) => period > (visibility[i] ?? Infinity))).toEqual([true, true]);
  });

  it('alarms on a dead letter in either dead-letter queue, with one alarm over both', () => {
    const [alarm, ...more] = alarms().filter((a) => a.Metrics?.some((m: { MetricStat?: { Metric: { MetricName: string } } }) => m.MetricStat?.Metric.MetricName === 'ApproximateNumberOfMessagesVisible'));
    expect(more).toEqual([]);
    expect(alarm?.Threshold).toBe(1);
    expect(alarm?.Metrics.find((m: { Expression?: string }) => m.Expression)).toMatchObject({ Expression: 'feedback + suppressions', ReturnData: true });
    const queues = alarm?.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).map((m: { MetricStat: { Metric: { Dimensions: Array<{ Value: { 'Fn::GetAtt': string[] } }> } } }) => m.MetricStat.Metric.Dimensions[0]?.Value['Fn::GetAtt'][0]);
    expect(queues.map((id: string) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['PipelineDeadLetterQueue', 'PipelineSuppressionDeadLetterQueue']);
    expect(alarm?.AlarmDescription).toContain('ses-feedback dead-letters redrive');
  });

  it('alarms on 25 provider blocks in 15 minutes summed over every configuration set (a Metrics Insights query), with a runbook', () => {
    const [alarm, ...more] = alarms().filter((a) => a.Metrics?.[0]?.Expression?.includes('ProviderBlocks'));
    expect(more).toEqual([]);
    expect(alarm).toMatchObject({
      Threshold: 25,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: expect.stringMatching(/AlertTopic/) }],
      Metrics: [{ Id: expect.any(String), Expression: 'SELECT SUM(ProviderBlocks) FROM SCHEMA("SesFeedbackPipeline", ConfigurationSet, service)', Period: 900, ReturnData: true, Label: 'ProviderBlocks' }],
    });
    for (const step of ['block lists', 'SPF, DKIM and DMARC', 'slow down sending to that provider', 'campaign', 'not suppressed']) {
      expect(alarm?.AlarmDescription).toContain(step);
    }
  });

  it('takes the provider-block threshold from the prop (user value wins)', () => {
    const t = template({ providerBlockAlarmThreshold: 200 });
    const thresholds = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties).filter((a) => a.Metrics?.[0]?.Expression?.includes('ProviderBlocks')).map((a) => a.Threshold);
    expect(thresholds).toEqual([200]);
  });

  it('draws provider blocks with the other feedback classes on the dashboard, summed over every set by one query', () => {
    const body = JSON.stringify(defaults.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toMatch(/Feedback events by class.*SELECT SUM\(ProviderBlocks\) FROM SCHEMA\(.*SesFeedbackPipeline.*, ConfigurationSet, service\)/);
  });

  it('draws every set\'s rates as lines of one query, so the dashboard does not grow with the sets', () => {
    const size = (t: Template): number => JSON.stringify(t.findResources('AWS::CloudWatch::Dashboard')).length;
    const many = template({ managedConfigurationSetNames: ['transactional', ...streams(99)], existingConfigurationSetNames: streams(100, 'legacy') });
    expect(size(many)).toBe(size(defaults));
    expect(JSON.stringify(defaults.findResources('AWS::CloudWatch::Dashboard'))).toContain('GROUP BY');
  });

  it('sends every alarm, and its recovery, to the alert topic, which has the configured emails', () => {
    const t = template({ alertEmails: ['ops@example.com', 'oncall@example.com'] });
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
    }
    t.resourceCountIs('AWS::SNS::Subscription', 3); // queue + 2 emails
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('uses custom thresholds (user values win)', () => {
    const t = template({ bounceRateThresholds: { warning: 0.02, critical: 0.04 } });
    const thresholds = Object.values(t.findResources('AWS::CloudWatch::Alarm'))
      .map((r) => r.Properties)
      .filter((a) => a.MetricName === 'Reputation.BounceRate' || a.Metrics?.[0]?.Expression?.includes('Reputation.BounceRate'))
      .map((a) => a.Threshold);
    expect([...new Set(thresholds)].sort()).toEqual([0.02, 0.04]);
  });

  it('draws the warning, critical and AWS pause lines on the dashboard', () => {
    const body = JSON.stringify(defaults.findResources('AWS::CloudWatch::Dashboard'));
    for (const label of ['warning 3 %', 'critical 5 %', 'AWS may pause 10 %', 'warning 0.08 %', 'critical 0.1 %', 'AWS may pause 0.5 %']) {
      expect(body).toContain(label);
    }
  });
});

describe('feedback topic, key and queues', () => {
  it('lets only ses.amazonaws.com publish, from this account and these configuration sets', () => {
    const [policy] = Object.values(defaults.findResources('AWS::SNS::TopicPolicy', { Properties: { Topics: [{ Ref: Match.stringLikeRegexp('FeedbackTopic') }] } }));
    const statements: Statement[] = policy?.Properties.PolicyDocument.Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    // One statement for every set (aws-cdk-lib would add one per set, past SNS's policy size with many sets).
    expect(allows).toHaveLength(1);
    const [statement] = allows;
    expect(statement?.Principal).toEqual({ Service: 'ses.amazonaws.com' });
    expect(statement?.Action).toBe('sns:Publish');
    const condition = statement?.Condition as { StringEquals: Record<string, unknown> };
    expect(Object.keys(condition)).toEqual(['StringEquals']);
    expect(condition.StringEquals['AWS:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    const sourceArns = condition.StringEquals['AWS:SourceArn'] as unknown[];
    expect(sourceArns).toHaveLength(2);
    for (const [arn, set] of sourceArns.map((a, i) => [JSON.stringify(a), ['Test-transactional', 'Test-marketing'][i]] as const)) {
      expect(arn).toMatch(new RegExp(`":ses:",\\{"Ref":"AWS::Region"\\},":",\\{"Ref":"AWS::AccountId"\\},":configuration-set/${set}"`));
    }
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('encrypts each topic and the import bucket with a rotating key of its own, whose policy names only the service that uses it', () => {
    defaults.resourceCountIs('AWS::KMS::Key', 3);
    const keyUsers = Object.entries(defaults.findResources('AWS::KMS::Key')).map(([id, key]) => {
      expect(key.Properties.EnableKeyRotation).toBe(true);
      const services = (key.Properties.KeyPolicy.Statement as Statement[]).filter((s) => (s.Principal as { Service?: string }).Service);
      return [id.replace(/[0-9A-F]{8}$/, ''), services.map((s) => [s.Principal, actionsOf(s).sort(), s.Condition])];
    });
    expect(Object.fromEntries(keyUsers)).toEqual({
      PipelineKey: [[{ Service: 'ses.amazonaws.com' }, ['kms:Decrypt'], undefined]],
      PipelineFeedbackTopicKey: [[{ Service: 'ses.amazonaws.com' }, ['kms:Decrypt', 'kms:GenerateDataKey'], undefined]],
      PipelineAlertTopicKey: [[{ Service: 'cloudwatch.amazonaws.com' }, ['kms:Decrypt', 'kms:GenerateDataKey*'], undefined]],
    });
    const keyOf = (topicId: string) => Object.entries(defaults.findResources('AWS::SNS::Topic')).find(([id]) => id.startsWith(topicId))?.[1].Properties.KmsMasterKeyId;
    expect(keyOf('PipelineFeedbackTopic')).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineFeedbackTopicKey/), 'Arn'] });
    expect(keyOf('PipelineAlertTopic')).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineAlertTopicKey/), 'Arn'] });
  });

  it('encrypts every queue, enforces TLS, and moves a message to its own source queue\'s DLQ after 5 receives', () => {
    defaults.resourceCountIs('AWS::SQS::Queue', 4);
    for (const queue of Object.values(defaults.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    }
    const queuePolicies = JSON.stringify(defaults.findResources('AWS::SQS::QueuePolicy'));
    expect(queuePolicies.match(/"aws:SecureTransport":"false"/g)).toHaveLength(4);
    const redrives = Object.entries(defaults.findResources('AWS::SQS::Queue')).filter(([, q]) => q.Properties.RedrivePolicy);
    // A dead-letter queue per source: a redrive returns every message to the one queue it came from.
    expect(Object.fromEntries(redrives.map(([id, q]) => [id.replace(/[0-9A-F]{8}$/, ''), q.Properties.RedrivePolicy]))).toEqual({
      PipelineQueue: { deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineDeadLetterQueue[0-9A-F]{8}$/), 'Arn'] }, maxReceiveCount: 5 },
      PipelineSuppressionQueue: { deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineSuppressionDeadLetterQueue[0-9A-F]{8}$/), 'Arn'] }, maxReceiveCount: 5 },
    });
  });

  it('gives each queue that feeds a function a visibility timeout computed from it: feedback 6 x 60 s + 5 s, suppressions 6 x 180 s + 20 s', () => {
    const timeouts = Object.entries(defaults.findResources('AWS::SQS::Queue'))
      .filter(([, q]) => q.Properties.RedrivePolicy)
      .map(([id, q]) => [id.replace(/[0-9A-F]{8}$/, ''), q.Properties.VisibilityTimeout]);
    expect(Object.fromEntries(timeouts)).toEqual({ PipelineQueue: 365, PipelineSuppressionQueue: 1100 });
  });

  it('reads feedback in batches of 10 with up to 10 pollers (no SES call there), with partial batch responses', () => {
    defaults.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('PipelineQueue'), 'Arn'] },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('gathers everything for the writer on one queue for 20 s into batches of up to 10,000: its one event source', () => {
    defaults.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SuppressionQueue'), 'Arn'] },
      BatchSize: 10_000,
      MaximumBatchingWindowInSeconds: 20,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const writerSources = Object.values(defaults.findResources('AWS::Lambda::EventSourceMapping')).filter((m) => JSON.stringify(m.Properties.FunctionName).includes('WriteSuppressions'));
    expect(writerSources).toHaveLength(1);
    template({ suppressionBatchingWindow: Duration.seconds(120) }).hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumBatchingWindowInSeconds: 120 });
  });

  it('subscribes additional feedback topics to the same queue', () => {
    const app = appWithoutBundling();
    const stack = new Stack(app, 'S');
    new SesFeedbackPipeline(stack, 'P', { additionalFeedbackTopics: [sns.Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:us-east-1:123456789012:identity-feedback')] });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:identity-feedback',
    });
  });

  describe('additional feedback topics in another account or region', () => {
    const CROSS_ACCOUNT = 'arn:aws:sns:eu-west-1:444455556666:identity-feedback';
    const CROSS_REGION = 'arn:aws:sns:us-east-1:111122223333:identity-feedback';
    /** The pipeline in `stack`, subscribed to topics made by `topics` in it. */
    function subscribed(stack: Stack, topics: (stack: Stack) => sns.ITopic[]): Template {
      new SesFeedbackPipeline(stack, 'P', { additionalFeedbackTopics: topics(stack) });
      return Template.fromStack(stack);
    }
    const envStack = (region = 'eu-west-1') => new Stack(appWithoutBundling(), 'S', { env: { account: '111122223333', region } });
    const imported = (...arns: string[]) => (stack: Stack) => arns.map((arn, i) => sns.Topic.fromTopicArn(stack, `T${i}`, arn));
    const sendStatements = (t: Template): Statement[] =>
      Object.values(t.findResources('AWS::SQS::QueuePolicy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => s.Action === 'sqs:SendMessage');

    it("subscribes each topic in its own region, with one queue-policy statement per topic on the topic's ARN", () => {
      const t = subscribed(envStack(), imported(CROSS_ACCOUNT, CROSS_REGION));
      for (const arn of [CROSS_ACCOUNT, CROSS_REGION]) {
        t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', TopicArn: arn, Region: arn.split(':')[3] });
      }
      expect(sendStatements(t).map((s) => [s.Principal, s.Condition])).toEqual([
        [{ Service: 'sns.amazonaws.com' }, { ArnEquals: { 'aws:SourceArn': { Ref: expect.stringMatching(/^PFeedbackTopic/) } } }],
        [{ Service: 'sns.amazonaws.com' }, { ArnEquals: { 'aws:SourceArn': CROSS_ACCOUNT } }],
        [{ Service: 'sns.amazonaws.com' }, { ArnEquals: { 'aws:SourceArn': CROSS_REGION } }],
      ]);
    });

    it.each([
      ['a topic in an opt-in region, to a queue in a region enabled by default', 'eu-west-1', 'arn:aws:sns:af-south-1:111122223333:t', 'sns.af-south-1.amazonaws.com'],
      ['a topic in a region enabled by default, to a queue in an opt-in region', 'af-south-1', CROSS_REGION, 'sns.af-south-1.amazonaws.com'],
      ['a topic in an opt-in region, to a queue in another opt-in region', 'me-south-1', 'arn:aws:sns:af-south-1:111122223333:t', 'sns.me-south-1.amazonaws.com'],
      ['a topic in the same opt-in region', 'af-south-1', 'arn:aws:sns:af-south-1:444455556666:t', 'sns.amazonaws.com'],
    ])('lets SNS deliver from %s as the principal SNS requires', (_case, queueRegion, topicArn, principal) => {
      const statement = sendStatements(subscribed(envStack(queueRegion), imported(topicArn))).find((s) => JSON.stringify(s.Condition).includes(topicArn));
      expect(statement?.Principal).toEqual({ Service: principal });
    });

    it('subscribes a topic whose ARN is a token in the region its ARN names at deploy time, as sns.amazonaws.com', () => {
      const t = subscribed(envStack(), (stack) => [sns.Topic.fromTopicArn(stack, 'T', new CfnParameter(stack, 'TopicArn').valueAsString)]);
      t.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: { Ref: 'TopicArn' }, Region: { 'Fn::Select': [3, { 'Fn::Split': [':', { Ref: 'TopicArn' }] }] } });
      expect(sendStatements(t).at(-1)).toMatchObject({ Principal: { Service: 'sns.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': { Ref: 'TopicArn' } } } });
    });

    it("subscribes a topic of another stack in another region in the topic's region, with crossRegionReferences", () => {
      const app = appWithoutBundling();
      const owner = new Stack(app, 'Owner', { env: { account: '111122223333', region: 'us-east-1' }, crossRegionReferences: true });
      const topic = new sns.Topic(owner, 'T');
      const stack = new Stack(app, 'S', { env: { account: '111122223333', region: 'eu-west-1' }, crossRegionReferences: true });
      subscribed(stack, () => [topic]).hasResourceProperties('AWS::SNS::Subscription', { Region: 'us-east-1' });
    });

    it('fails the synth for a topic of another stack in another region without crossRegionReferences (aws-cdk-lib)', () => {
      const app = appWithoutBundling();
      const topic = new sns.Topic(new Stack(app, 'Owner', { env: { account: '111122223333', region: 'us-east-1' } }), 'T');
      expect(() => subscribed(new Stack(app, 'S', { env: { account: '111122223333', region: 'eu-west-1' } }), () => [topic])).toThrow(/cross-environment/);
    });

    it('fails on a topic listed twice', () => {
      expect(() => subscribed(envStack(), imported(CROSS_ACCOUNT, CROSS_ACCOUNT))).toThrow(`additionalFeedbackTopics: topic ${CROSS_ACCOUNT} is listed twice`);
    });

    it('fails on a topic in an opt-in region in a stack without a region, and takes it once the stack has one', () => {
      const optIn = imported('arn:aws:sns:af-south-1:111122223333:t');
      expect(() => subscribed(new Stack(appWithoutBundling(), 'S'), optIn)).toThrow(
        'additionalFeedbackTopics: topic arn:aws:sns:af-south-1:111122223333:t is in af-south-1, an opt-in region, and the stack has no region (no env)',
      );
      expect(() => subscribed(envStack(), optIn)).not.toThrow();
    });
  });
});

describe("AWS's rules for SQS event sources, read from the template", () => {
  type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const logicalId = (ref: unknown): string => {
    const r = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    const id = r.Ref ?? r['Fn::GetAtt']?.[0];
    if (!id) throw new Error(`not a reference: ${JSON.stringify(ref)}`);
    return id;
  };

  /** Every event source mapping with its function's timeout, its batching window and its queue's visibility timeout. */
  function eventSources(t: Template) {
    const resources = t.toJSON().Resources as Resources;
    const mappings = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    return mappings.map((m) => ({
      timeout: resources[logicalId(m.Properties.FunctionName)]?.Properties.Timeout as number,
      window: (m.Properties.MaximumBatchingWindowInSeconds as number | undefined) ?? 0,
      visibility: resources[logicalId(m.Properties.EventSourceArn)]?.Properties.VisibilityTimeout as number,
    }));
  }

  it.each<[string, SesFeedbackPipelineProps | undefined]>([
    ['the defaults', undefined],
    ['a 1 s suppression window', { suppressionBatchingWindow: Duration.seconds(1) }],
    ['the longest suppression window (300 s)', { suppressionBatchingWindow: Duration.minutes(5) }],
  ])('gives every queue that feeds a function a visibility timeout of at least 6 x its timeout + its batching window, with %s', (_name, props) => {
    const sources = eventSources(props === undefined ? defaults : template(props));
    expect(sources).toHaveLength(2);
    for (const { timeout, window, visibility } of sources) {
      expect(timeout).toBeGreaterThan(0);
      expect(visibility).toBeGreaterThanOrEqual(6 * timeout + window);
      expect(timeout).toBeLessThanOrEqual(visibility);
    }
  });

  it('fails the rule on a queue that only has 6 x the timeout (the check is live)', () => {
    const t = template();
    const json = t.toJSON() as { Resources: Resources };
    const queue = Object.entries(json.Resources).find(([id]) => id.startsWith('PipelineQueue'))?.[1];
    expect(queue?.Properties.VisibilityTimeout).toBe(365);
    (queue as { Properties: Record<string, unknown> }).Properties.VisibilityTimeout = 360;
    const broken = eventSources(Template.fromJSON(json)).filter(({ timeout, window, visibility }) => visibility < 6 * timeout + window);
    expect(broken).toEqual([{ timeout: 60, window: 5, visibility: 360 }]);
  });

  it('keeps messages in every dead-letter queue longer than in any queue that moves messages to it', () => {
    const queues = defaults.toJSON().Resources as Resources;
    const sources = Object.values(queues).filter((q) => q.Type === 'AWS::SQS::Queue' && q.Properties.RedrivePolicy);
    expect(sources).toHaveLength(2);
    for (const source of sources) {
      const dlq = queues[logicalId((source.Properties.RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn)];
      expect(source.Properties.MessageRetentionPeriod).toBe(7 * 86_400);
      expect(dlq?.Properties.MessageRetentionPeriod).toBe(14 * 86_400);
    }
  });
});

describe('configuration sets', () => {
  it('creates <stack>-transactional and <stack>-marketing with reputation metrics, account suppression and the feedback destination', () => {
    defaults.resourceCountIs('AWS::SES::ConfigurationSet', 2);
    for (const name of ['Test-transactional', 'Test-marketing']) {
      defaults.hasResourceProperties('AWS::SES::ConfigurationSet', {
        Name: name,
        ReputationOptions: { ReputationMetricsEnabled: true },
        SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      });
    }
    defaults.resourceCountIs('AWS::SES::ConfigurationSetEventDestination', 2);
    defaults.allResourcesProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: { Enabled: true, MatchingEventTypes: ['bounce', 'complaint', 'deliveryDelay', 'reject'], Name: 'ses-feedback-pipeline' },
    });
  });

  it('names the SES configuration sets with the prefix given, or the short names alone with an empty prefix, and exposes and outputs the real names', () => {
    const stack = new SesFeedbackStack(appWithoutBundling(), 'Prod', { pipeline: { configurationSetNamePrefix: 'acme_' } });
    expect(stack.pipeline.configurationSetNames).toEqual({ transactional: 'acme_transactional', marketing: 'acme_marketing' });
    Template.fromStack(stack).hasOutput('ConfigurationSetNames', { Value: 'acme_transactional,acme_marketing' });
    const literal = template({ configurationSetNamePrefix: '' });
    for (const name of ['transactional', 'marketing']) literal.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: name });
    defaults.hasOutput('ConfigurationSetNames', { Value: 'Test-transactional,Test-marketing' });
  });

  it('keeps the logical IDs of configuration sets and their alarms on the short name, whatever the prefix', () => {
    const ids = (t: Template) => [...Object.keys(t.findResources('AWS::SES::ConfigurationSet')), ...Object.keys(t.findResources('AWS::CloudWatch::Alarm'))].sort();
    expect(ids(template({ configurationSetNamePrefix: 'other-' }))).toEqual(ids(defaults));
    expect(ids(defaults)).toContain('PipelineConfigurationSetmarketing91442DA9');
  });

  it('gives two stacks of one app (same account and region) no configuration set name in common', () => {
    const app = appWithoutBundling();
    const env = { account: '111122223333', region: 'eu-west-1' };
    const stacks = ['Production', 'Staging'].map((id) => new SesFeedbackStack(app, id, { env }));
    const names = stacks.map((stack) => Object.values(Template.fromStack(stack).findResources('AWS::SES::ConfigurationSet')).map((r) => r.Properties.Name as string));
    expect(names).toEqual([
      ['Production-transactional', 'Production-marketing'],
      ['Staging-transactional', 'Staging-marketing'],
    ]);
  });

  it('attaches the destination to existing configuration sets by name, with no alarm of their own (the per-set alarms cover every set)', () => {
    const t = template({ existingConfigurationSetNames: ['legacy-newsletter'], eventTypes: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT, ses.EmailSendingEvent.DELIVERY] });
    t.resourceCountIs('AWS::SES::ConfigurationSet', 2);
    t.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: 'legacy-newsletter',
      EventDestination: { MatchingEventTypes: ['bounce', 'complaint', 'delivery'] },
    });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 17);
  });
});

describe('feedback table', () => {
  it('is on-demand, encrypted, point-in-time recoverable, with TTL and one time index carrying only what reports read', () => {
    defaults.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byDay',
          KeySchema: [{ AttributeName: 'dayShard', KeyType: 'HASH' }, { AttributeName: 'eventAt', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: Match.arrayWith(['eventType', 'action', 'rule', 'configurationSet', 'campaign', 'recipientDomain']) },
        },
      ],
    });
  });

  it('is retained, with deletion protection, by default; destroyed when asked', () => {
    defaults.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ DeletionProtectionEnabled: true }) });
    defaults.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    const t = template({ removalPolicy: RemovalPolicy.DESTROY });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
    // A bucket with objects cannot be deleted: a custom resource empties it first.
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    t.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    expect(Object.values(t.findResources('AWS::KMS::Key')).map((k) => k.DeletionPolicy)).toEqual(['Delete', 'Delete', 'Delete']);
  });
});

describe('function bundles (the one test that bundles: the assets are part of the product)', () => {
  it('bundles each function as cdk synth does: its own handler, minified, a source map without sources, the AWS SDK inside', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'bundles-'));
    try {
      const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
      const functions = Object.values(Template.fromStack(new SesFeedbackStack(app, 'Bundled')).findResources('AWS::Lambda::Function'));
      const handlers = functions.map((fn) => {
        const bundle = path.join(outdir, fn.Metadata['aws:asset:path'] as string);
        const code = readFileSync(path.join(bundle, 'index.js'), 'utf8');
        const sourceMap = JSON.parse(readFileSync(path.join(bundle, 'index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
        expect(fn.Properties.Handler).toBe('index.handler');
        expect(code).toMatch(/\bhandler:\(\)=>/);
        // Minified: long lines (the SDK's template literals keep their line breaks); the bench guards each size.
        expect(code.length / code.split('\n').length).toBeGreaterThan(2_000);
        expect(code.length).toBeLessThan(1_000_000);
        // The SDK bundled (test/scripts/function-bundles.test.ts checks its versions), not required from the runtime.
        expect(code).toContain('name:"@aws-sdk/client-dynamodb"');
        expect(code).not.toContain('require("@aws-sdk/client-');
        expect(sourceMap.sourcesContent).toBeUndefined();
        return sourceMap.sources.flatMap((source) => /lambdas\/([a-z-]+\/(?:index|handler)\.ts)$/.exec(source)?.[1] ?? []).sort();
      });
      expect(handlers.sort()).toEqual(
        ['pause-sending', 'process-feedback', 'watch-reputation', 'write-suppressions'].map((name) => [`${name}/handler.ts`, `${name}/index.ts`]),
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('process-feedback function', () => {
  it('runs on nodejs24.x arm64 with explicit memory, timeout and log retention', () => {
    defaults.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 60,
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
    });
    defaults.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('gets the defaults through its environment: threshold 5, window 30 days, retention 365 days, tag "campaign"', () => {
    defaults.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.softBounceThreshold]: '5',
          [ENV.softBounceWindowInDays]: '30',
          [ENV.eventRetentionInDays]: '365',
          [ENV.campaignTagName]: 'campaign',
          AWS_RETRY_MODE: 'adaptive',
          AWS_MAX_ATTEMPTS: '8',
          [ENV.tableName]: { Ref: Match.stringLikeRegexp('Table') },
          [ENV.deadLetterQueueUrl]: { Ref: Match.stringLikeRegexp('DeadLetterQueue') },
          [ENV.suppressionQueueUrl]: { Ref: Match.stringLikeRegexp('SuppressionQueue') },
        }),
      },
    });
  });

  it('passes custom soft-bounce, retention and tag settings through (user values win)', () => {
    const t = template({ softBounceThreshold: 0, softBounceWindow: Duration.days(7), eventRetention: Duration.days(30), campaignTagName: 'utm_campaign' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.softBounceThreshold]: '0', [ENV.softBounceWindowInDays]: '7', [ENV.eventRetentionInDays]: '30', [ENV.campaignTagName]: 'utm_campaign' }),
      },
    });
  });

  it('may only write its logs and its table, consume its queue, hand over to the writer and park in the DLQ (no SES)', () => {
    expect(grantsOf('ProcessFeedbackRole')).toEqual(
      [
        ['dynamodb:GetItem,dynamodb:PartiQLInsert,dynamodb:UpdateItem', expect.stringMatching(/Table.*Arn/)],
        ['logs:CreateLogStream,logs:PutLogEvents', expect.stringMatching(/ProcessFeedbackLogs.*Arn/)],
        ['sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:ReceiveMessage', expect.stringMatching(/"PipelineQueue.*Arn/)],
        ['sqs:SendMessage', expect.stringMatching(/DeadLetterQueue.*Arn/)],
        ['sqs:SendMessage', expect.stringMatching(/SuppressionQueue.*Arn/)],
      ].sort(),
    );
  });
});

/** A role's grants as sorted [actions, resource] pairs. */
function grantsOf(roleIdPart: string): Array<[string, string]> {
  const policies = Object.values(defaults.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleIdPart));
  const statements: Statement[] = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
  expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
  return statements.map((s): [string, string] => [actionsOf(s).sort().join(','), JSON.stringify(s.Resource)]).sort();
}

describe('suppression writer', () => {
  it('has four roles in the stack (one per function), none with a managed policy', () => {
    const roles = Object.values(defaults.findResources('AWS::IAM::Role'));
    expect(roles).toHaveLength(4);
    for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('may only call the three SES suppression actions (GetImportJob on import jobs), use its import files and their key, its ledger and its queue, and put events on the default bus', () => {
    expect(grantsOf('WriteSuppressionsRole')).toEqual(
      [
        ['dynamodb:BatchGetItem,dynamodb:BatchWriteItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem', expect.stringMatching(/Table.*Arn/)],
        ['events:PutEvents', expect.stringMatching(/arn:.*:events:.*:event-bus\/default"/)],
        ['kms:Decrypt,kms:GenerateDataKey', expect.stringMatching(/"PipelineKey.*Arn/)],
        ['logs:CreateLogStream,logs:PutLogEvents', expect.stringMatching(/WriteSuppressionsLogs.*Arn/)],
        ['s3:GetObject,s3:PutObject', expect.stringMatching(/ImportBucket.*\/imports\/pipeline\/\*/)],
        ['ses:CreateImportJob,ses:DeleteSuppressedDestination,ses:PutSuppressedDestination', '"*"'],
        ['ses:GetImportJob', expect.stringMatching(/:ses:.*:import-job\/\*"/)],
        ['sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:ReceiveMessage', expect.stringMatching(/"PipelineSuppressionQueue.*Arn/)],
        ['sqs:SendMessage', expect.stringMatching(/PipelineSuppressionQueue.*PipelineSuppressionDeadLetterQueue/)],
      ].sort(),
    );
  });

  it('gets its settings through its environment: threshold 25, 3 attempts, first look after 10 s, SES\'s whole rate for one run at a time', () => {
    defaults.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 180,
      Environment: {
        Variables: Match.objectLike({
          [WRITER_ENV.importThreshold]: '25',
          [WRITER_ENV.maxAttempts]: '3',
          [WRITER_ENV.followInitialSeconds]: '10',
          [WRITER_ENV.sesRequestsPerSecond]: '1',
          [WRITER_ENV.importBucketName]: { Ref: Match.stringLikeRegexp('ImportBucket') },
          [WRITER_ENV.eventBusName]: 'default',
        }),
      },
    });
    template({ importThreshold: 100 }).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [WRITER_ENV.importThreshold]: '100' }) },
    });
  });

  it('holds the writer\'s lease longer than the function\'s timeout plus a margin, so a run Lambda ended has stopped when it lapses', () => {
    const writers = Object.values(defaults.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment?.Variables?.[WRITER_ENV.leaseSeconds] !== undefined);
    expect(writers).toHaveLength(1);
    const { Timeout, Environment } = writers[0]?.Properties as { Timeout: number; Environment: { Variables: Record<string, string> } };
    expect(Number(Environment.Variables[WRITER_ENV.leaseSeconds])).toBe(Timeout + SUPPRESSION_WRITER_SETTINGS.leaseMarginInSeconds);
    expect(SUPPRESSION_WRITER_SETTINGS.leaseMarginInSeconds).toBeGreaterThanOrEqual(30);
    // No SES call starts without time for it and the settling after it: a run never outlives its timeout.
    expect(Number(Environment.Variables[WRITER_ENV.sesCallBudgetMs]) + Number(Environment.Variables[WRITER_ENV.runReserveMs])).toBeLessThan(Timeout * 1000);
  });

  it('ends suppressions that soft bounces escalated after 30 days (0: never): a tick every 5 minutes on its own queue, sent only by that schedule', () => {
    defaults.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [WRITER_ENV.temporarySuppressionSeconds]: String(30 * 86_400) }) },
    });
    const rules = defaults.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(5 minutes)' } });
    const [[ruleId, rule]] = Object.entries(rules) as [[string, { Properties: { Targets: Array<{ Arn: unknown; Input: string }> } }]];
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineSuppressionQueue/), 'Arn'] }, Input: '{"type":"expire"}' }),
    ]);
    // The queue takes the tick from EventBridge only for this rule.
    const policies = Object.values(defaults.findResources('AWS::SQS::QueuePolicy')).filter((p) => JSON.stringify(p.Properties.Queues).includes('SuppressionQueue'));
    const fromEvents = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]).filter((st) => JSON.stringify(st.Principal).includes('events.amazonaws.com'));
    expect(fromEvents).toEqual([expect.objectContaining({ Effect: 'Allow', Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } } })]);

    const forGood = template({ softBounceSuppressionPeriod: Duration.days(0) });
    forGood.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ [WRITER_ENV.temporarySuppressionSeconds]: '0' }) } });
    // The tick still runs: a temporary suppression from before the change is kept for good when it comes due.
    expect(Object.keys(forGood.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(5 minutes)' } }))).toHaveLength(1);
    template({ softBounceSuppressionPeriod: Duration.days(90) }).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [WRITER_ENV.temporarySuppressionSeconds]: String(90 * 86_400) }) },
    });
  });

  it('keeps import files in a private, TLS-only bucket encrypted with its own key, deleted after 14 days', () => {
    defaults.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineKey'), 'Arn'] } } },
        ],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 14, Status: 'Enabled' })] },
    });
  });

  it('lets SES read import files only on behalf of this account (aws:Referer), and denies plain HTTP', () => {
    const [policy] = Object.values(defaults.findResources('AWS::S3::BucketPolicy'));
    const statements: Statement[] = policy?.Properties.PolicyDocument.Statement;
    const ses = statements.find((s) => JSON.stringify(s.Principal).includes('ses.amazonaws.com'));
    expect(ses).toMatchObject({ Effect: 'Allow', Action: 's3:GetObject', Condition: { StringEquals: { 'aws:Referer': { Ref: 'AWS::AccountId' } } } });
    expect(JSON.stringify(ses?.Resource)).toContain('/imports/*');
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });
});

describe('props validation', () => {
  it.each<[string, SesFeedbackPipelineProps, string]>([
    ['fails on warning above critical', { bounceRateThresholds: { warning: 0.06, critical: 0.05 } }, 'bounce rate thresholds must satisfy 0 < warning < critical < 1 (fractions), got warning 0.06, critical 0.05'],
    ['fails on a percentage given as a whole number', { complaintRateThresholds: { warning: 0.08, critical: 5 } }, 'complaint rate thresholds must satisfy 0 < warning < critical < 1 (fractions), got warning 0.08, critical 5'],
    ['fails on a bad configuration set name', { managedConfigurationSetNames: ['my set'] }, "configuration set name must be 1-64 letters, digits, '_' or '-', got 'S-my set' (configurationSetNamePrefix 'S-' + 'my set')"],
    ['fails on a prefix that makes a name longer than 64', { configurationSetNamePrefix: `${'x'.repeat(60)}-` }, `got '${'x'.repeat(60)}-transactional' (configurationSetNamePrefix '${'x'.repeat(60)}-' + 'transactional')`],
    ['fails on a prefix SES does not allow', { configurationSetNamePrefix: 'acme.' }, "got 'acme.transactional' (configurationSetNamePrefix 'acme.' + 'transactional')"],
    ['fails on a bad existing configuration set name', { existingConfigurationSetNames: ['news letter'] }, "configuration set name must be 1-64 letters, digits, '_' or '-', got 'news letter'"],
    ['fails on a configuration set named twice', { managedConfigurationSetNames: ['a'], existingConfigurationSetNames: ['S-a'] }, "configuration set 'S-a' is named twice"],
    ['fails without COMPLAINT events', { eventTypes: [ses.EmailSendingEvent.BOUNCE] }, 'eventTypes must include complaint, got [bounce]'],
    ['fails on a negative soft-bounce threshold', { softBounceThreshold: -1 }, 'softBounceThreshold must be a whole number >= 0, got -1'],
    ['fails on a soft-bounce window under a day', { softBounceWindow: Duration.hours(3) }, 'softBounceWindow must be at least 1 day, got 3 hours'],
    ['fails on a soft-bounce suppression period under a day', { softBounceSuppressionPeriod: Duration.hours(6) }, 'softBounceSuppressionPeriod must be 0 (for good) or at least 1 day, got 6 hours'],
    ['fails on maxReceiveCount 0', { maxReceiveCount: 0 }, 'maxReceiveCount must be a whole number from 1 to 1000, got 0'],
    ['fails on an alert email that is not one', { alertEmails: ['ops'] }, "alert email is not an email address: 'ops'"],
    ['fails on a batching window over SQS\'s 5 minutes', { suppressionBatchingWindow: Duration.minutes(6) }, "suppressionBatchingWindow must be 1 second to 5 minutes (SQS's limit), got 6 minutes"],
    ['fails on an import threshold of 0', { importThreshold: 0 }, 'importThreshold must be a whole number >= 1, got 0'],
    ['fails on a provider-block threshold of 0', { providerBlockAlarmThreshold: 0 }, 'providerBlockAlarmThreshold must be a whole number >= 1, got 0'],
    ['fails on a fractional provider-block threshold', { providerBlockAlarmThreshold: 2.5 }, 'providerBlockAlarmThreshold must be a whole number >= 1, got 2.5'],
  ])('%s', (_name, props, message) => {
    expect(() => new SesFeedbackPipeline(new Stack(appWithoutBundling(), 'S'), 'P', props)).toThrow(message);
  });
});

describe('reputation watcher', () => {
  it('runs every 15 minutes on a schedule, retried twice, with the table, the alert topic and the retention in its environment', () => {
    defaults.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('WatchReputation'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2 } })],
    });
    defaults.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 30,
      Environment: {
        Variables: Match.objectLike({
          [WATCHER_ENV.tableName]: { Ref: Match.stringLikeRegexp('Table') },
          [WATCHER_ENV.alertTopicArn]: { Ref: Match.stringLikeRegexp('AlertTopic') },
          [WATCHER_ENV.snapshotRetentionInDays]: '365',
        }),
      },
    });
    template({ reputationWatchInterval: Duration.minutes(5) }).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    expect(() => template({ reputationWatchInterval: Duration.minutes(2) })).toThrow('reputationWatchInterval must be 5 minutes to 1 hour, got 2 minutes');
  });

  it('may read the account and its reputation, keep snapshots in the table, and publish to the alert topic, nothing else', () => {
    expect(grantsOf('WatchReputationRole')).toEqual(
      [
        ['cloudwatch:GetMetricData,ses:GetAccount', '"*"'],
        ['dynamodb:PutItem,dynamodb:Query', expect.stringMatching(/Table.*Arn/)],
        ['kms:Decrypt,kms:GenerateDataKey', expect.stringMatching(/"PipelineAlertTopicKey.*Arn/)],
        ['logs:CreateLogStream,logs:PutLogEvents', expect.stringMatching(/WatchReputationLogs.*Arn/)],
        ['sns:Publish', expect.stringMatching(/AlertTopic/)],
      ].sort(),
    );
  });

  it('alarms when the account is not HEALTHY or cannot send, from the watcher\'s metric, and when the watcher keeps failing', () => {
    defaults.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'SesFeedbackPipeline',
      MetricName: 'AccountUnhealthy',
      Dimensions: Match.arrayWith([{ Name: 'Component', Value: 'reputation-watcher' }, { Name: 'service', Value: 'ses-feedback-pipeline' }]),
      Statistic: 'Maximum',
      Period: 900,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlertTopic') }],
    });
    // A run that fails for good (dropped after Lambda's two retries), not every failed attempt.
    defaults.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'AsyncEventsDropped',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('WatchReputation') } }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
    });
  });
});

describe('guardrail', () => {
  const alarmIds = (t: Template): string[] => Object.keys(t.findResources('AWS::CloudWatch::Alarm'));

  it('triggers on the four critical reputation alarms (account, and every set\'s contributors) going to ALARM, by name, nothing else', () => {
    const [rule] = Object.values(defaults.findResources('AWS::Events::Rule', { Properties: { Description: Match.stringLikeRegexp('Guardrail') } }));
    const critical = alarmIds(defaults).filter((id) => /^Pipeline(AlarmAccount|AlarmConfigurationSets)(Bounce|Complaint)Ratecritical/.test(id));
    expect(critical).toHaveLength(4);
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change', 'CloudWatch Alarm Contributor State Change'],
      detail: { alarmName: expect.arrayContaining(critical.map((id) => ({ Ref: id }))), state: { value: ['ALARM'] } },
    });
    expect(rule?.Properties.EventPattern.detail.alarmName).toHaveLength(4);
    expect(rule?.Properties.Targets).toEqual([expect.objectContaining({ RetryPolicy: { MaximumRetryAttempts: 2 } })]);
  });

  it('tags the pausable managed sets with the stack\'s name, and tells its function the tag and the alarms, not the sets', () => {
    const sets = defaults.findResources('AWS::SES::ConfigurationSet');
    const tagsOf = (name: string) => Object.values(sets).find((r) => r.Properties.Name === name)?.Properties.Tags;
    expect(tagsOf('Test-marketing')).toEqual([{ Key: 'ses-feedback-pipeline:pausable', Value: 'Test' }]);
    expect(tagsOf('Test-transactional')).toBeUndefined();
    const [fn] = Object.values(defaults.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Guardrail') } }));
    const settings = JSON.stringify(fn?.Properties.Environment.Variables.GUARDRAIL_SETTINGS);
    expect(settings).toContain('\\"pausableTag\\":{\\"key\\":\\"ses-feedback-pipeline:pausable\\",\\"value\\":\\"Test\\"}');
    expect(settings).toContain('\\"existingPausable\\":[]');
    expect(settings).not.toContain('Test-marketing');
    expect(settings.match(/\\"alarmName\\"/g)).toHaveLength(4);
  });

  it('leaves the sets\' sending status out of the template, so a deploy never owns it, and re-applies the pauses after each deploy of this stack', () => {
    for (const [id, set] of Object.entries(defaults.findResources('AWS::SES::ConfigurationSet'))) {
      expect([id, set.Properties.SendingOptions]).toEqual([id, undefined]);
    }
    const [rule] = Object.values(defaults.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.cloudformation'] } } }));
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['aws.cloudformation'],
      'detail-type': ['CloudFormation Stack Status Change'],
      detail: { 'stack-id': [{ Ref: 'AWS::StackId' }], 'status-details': { status: ['UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE'] } },
    });
    const guard = Object.keys(defaults.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Guardrail') } }));
    expect(rule?.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [guard[0], 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2 } })]);
  });

  it('creates nothing when no set is pausable, and fails on a name that is no set of the stack', () => {
    const off = template({ pausableConfigurationSetNames: [] });
    off.resourceCountIs('AWS::CloudWatch::Alarm', 16);
    expect(Object.keys(off.findResources('AWS::Events::Rule', { Properties: { Description: Match.stringLikeRegexp('Guardrail') } }))).toEqual([]);
    expect(() => template({ pausableConfigurationSetNames: ['newsletter'] })).toThrow("pausableConfigurationSetNames: 'newsletter' is neither a managed configuration set (short name) nor an existing one");
    const both = template({ existingConfigurationSetNames: ['legacy'], pausableConfigurationSetNames: ['transactional', 'legacy'] });
    const [fn] = Object.values(both.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Guardrail') } }));
    expect(JSON.stringify(fn?.Properties.Environment.Variables.GUARDRAIL_SETTINGS)).toContain('\\"existingPausable\\":[\\"legacy\\"]');
  });
});

describe('cdk-nag AwsSolutions', () => {
  function synthWithNag(extra?: (stack: Stack) => void): void {
    const app = appWithoutBundling();
    const stack = new SesFeedbackStack(app, 'Nag', { pipeline: { alertEmails: ['ops@example.com'], existingConfigurationSetNames: ['legacy'] } });
    extra?.(stack);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
  }

  it('finds nothing unacknowledged in the stack', () => {
    expect(() => synthWithNag()).not.toThrow();
  });

  it('finds nothing unacknowledged with feedback topics of another account and another region', () => {
    const app = appWithoutBundling();
    const stack = new Stack(app, 'NagTopics');
    const topics = ['arn:aws:sns:eu-west-1:444455556666:identity-feedback', 'arn:aws:sns:us-east-1:111122223333:identity-feedback'];
    new SesFeedbackPipeline(stack, 'Pipeline', { alertEmails: ['ops@example.com'], additionalFeedbackTopics: topics.map((arn, i) => sns.Topic.fromTopicArn(stack, `Topic${i}`, arn)) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding (the check is live)', () => {
    expect(() => synthWithNag((stack) => new sqs.Queue(stack, 'PlainQueue'))).toThrow(/AwsSolutions-SQS3[\s\S]*AwsSolutions-SQS4/);
  });

  it('has Resource::* on four statements only: the three SES suppression-list actions, the watcher\'s two reads, the guardrail\'s two reads of configuration sets and its read of the sets\' rates', () => {
    const statements: Statement[] = Object.values(defaults.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const wildcard = statements.filter((s) => s.Resource === '*');
    expect(wildcard.map((s) => actionsOf(s).sort().join(',')).sort()).toEqual([
      'cloudwatch:GetMetricData',
      'cloudwatch:GetMetricData,ses:GetAccount',
      'ses:CreateImportJob,ses:DeleteSuppressedDestination,ses:PutSuppressedDestination',
      'ses:GetConfigurationSet,ses:ListConfigurationSets',
    ]);
  });

  it('finds nothing unacknowledged with removalPolicy DESTROY either (the import bucket emptied by a custom resource)', () => {
    const app = appWithoutBundling();
    const stack = new SesFeedbackStack(app, 'Nag', { pipeline: { alertEmails: ['ops@example.com'], removalPolicy: RemovalPolicy.DESTROY } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    Template.fromStack(stack).resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });
});
