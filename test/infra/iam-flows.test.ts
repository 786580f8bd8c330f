import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { feedbackTopicSubscribePolicy, SesFeedbackPipeline } from '../../lib/ses-feedback-pipeline.js';
import { type SesFeedbackPipelineProps } from '../../lib/pipeline-props.js';
import { appWithoutBundling } from '../support/cdk-app.js';
import { resolveTemplate, type CfnTemplate } from '../support/cfn-resolve.js';
import { DEPLOYMENT, OTHER_ACCOUNT, StackPolicies, type AwsRequest } from '../support/iam-model.js';

/**
 * Every service-to-service flow of the synthesized stack, decided by an IAM policy evaluator
 * (@cloud-copilot/iam-simulate) over the template deployed into a fake account: what exists only
 * in AWS (service principals on topics, queues, the bucket and the keys; Lambda's permission for
 * the schedule; each role's reach) is allowed with the context keys AWS sends, and denied from
 * another account, another configuration set or alarm, over plain HTTP, or to a role that has no
 * business there. What the functions call is proven in test/integration/iam-local-run.test.ts.
 */

const { account, region, partition } = DEPLOYMENT;
const EXISTING_SET = 'legacy-newsletter';
const IDENTITY_TOPIC = `arn:${partition}:sns:${region}:${account}:identity-feedback`;

/**
 * The pipeline in a stack as `cdk deploy` builds it, under the construct ID SesFeedbackStack
 * gives it (so the same logical IDs), with an existing configuration set and an identity-feedback
 * topic; functions not bundled, as their code changes no policy.
 */
function deployed(id: string, props: SesFeedbackPipelineProps = {}): { policies: StackPolicies; pipeline: SesFeedbackPipeline; stack: Stack } {
  const stack = new Stack(appWithoutBundling(), id);
  const identityFeedback = sns.Topic.fromTopicArn(stack, 'IdentityFeedback', IDENTITY_TOPIC);
  const pipeline = new SesFeedbackPipeline(stack, 'Pipeline', {
    alertEmails: ['ops@example.com'],
    existingConfigurationSetNames: [EXISTING_SET],
    additionalFeedbackTopics: [identityFeedback],
    ...props,
  });
  return { policies: new StackPolicies(Template.fromStack(stack).toJSON() as CfnTemplate, id), pipeline, stack };
}

let policies: StackPolicies;
let pipeline: SesFeedbackPipeline;
let stack: Stack;
beforeAll(() => {
  ({ policies, pipeline, stack } = deployed('Flows'));
});

const configurationSetArn = (name: string, inAccount: string = account) => `arn:${partition}:ses:${region}:${inAccount}:configuration-set/${name}`;
const decide = (request: AwsRequest) => policies.evaluate(request);
const ses = { service: 'ses.amazonaws.com' };
const cloudwatch = { service: 'cloudwatch.amazonaws.com' };
/** An administrator of another account: its own policies allow everything, so only ours can stop it. */
const intruder = {
  arn: `arn:${partition}:iam::${OTHER_ACCOUNT}:role/Administrator`,
  policies: [{ name: 'admin', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
};

describe('SES → feedback topic and its key', () => {
  const topic = () => policies.arn(policies.logicalId('AWS::SNS::Topic', 'PipelineFeedbackTopic'), 'TopicArn');
  const key = () => policies.arn(policies.logicalId('AWS::KMS::Key', 'PipelineFeedbackTopicKey'));
  const publish = (sourceArn: string, context: Record<string, string> = {}) =>
    decide({ caller: ses, action: 'sns:Publish', resource: topic(), context: { 'aws:SourceAccount': account, 'aws:SourceArn': sourceArn, ...context } });

  it('lets SES publish the events of every managed and existing configuration set (aws:SourceAccount, aws:SourceArn of the set)', async () => {
    const sets = [...Object.values(pipeline.configurationSetNames), EXISTING_SET];
    expect(sets).toEqual(['Flows-transactional', 'Flows-marketing', EXISTING_SET]);
    for (const set of sets) expect([set, await publish(configurationSetArn(set))]).toEqual([set, 'Allowed']);
  });

  it('lets SES encrypt and decrypt with the topic key', async () => {
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) expect(await decide({ caller: ses, action, resource: key() })).toBe('Allowed');
  });

  it.each([
    ['another configuration set of this account', configurationSetArn('someone-elses-set'), {}, 'ImplicitlyDenied'],
    ['a configuration set of another account', configurationSetArn('Flows-marketing', OTHER_ACCOUNT), { 'aws:SourceAccount': OTHER_ACCOUNT }, 'ImplicitlyDenied'],
    ['plain HTTP', configurationSetArn('Flows-marketing'), { 'aws:SecureTransport': 'false' }, 'ExplicitlyDenied'],
  ])('rejects SES publishing for %s', async (_case, sourceArn, context, decision) => {
    expect(await publish(sourceArn, context)).toBe(decision);
  });

  it('rejects CloudWatch using the feedback topic key, and anyone of another account publishing', async () => {
    expect(await decide({ caller: cloudwatch, action: 'kms:GenerateDataKey', resource: key() })).toBe('ImplicitlyDenied');
    expect(await decide({ caller: intruder, action: 'sns:Publish', resource: topic() })).toBe('ImplicitlyDenied');
  });
});

describe('SNS → feedback queue', () => {
  const queue = () => policies.arn(policies.logicalId('AWS::SQS::Queue', 'PipelineQueue'));
  const deliver = (topicArn: string, context: Record<string, string> = {}) =>
    decide({ caller: { service: 'sns.amazonaws.com' }, action: 'sqs:SendMessage', resource: queue(), context: { 'aws:SourceArn': topicArn, 'aws:SourceAccount': account, ...context } });

  it('lets SNS deliver from the feedback topic and from each additional feedback topic (aws:SourceArn of the topic)', async () => {
    const feedbackTopic = policies.arn(policies.logicalId('AWS::SNS::Topic', 'PipelineFeedbackTopic'), 'TopicArn');
    expect(await deliver(feedbackTopic)).toBe('Allowed');
    expect(await deliver(IDENTITY_TOPIC)).toBe('Allowed');
  });

  it.each([
    ['another topic', `arn:${partition}:sns:${region}:${account}:other`, {}, 'ImplicitlyDenied'],
    ['plain HTTP', IDENTITY_TOPIC, { 'aws:SecureTransport': 'false' }, 'ExplicitlyDenied'],
  ])('rejects SNS delivering from %s', async (_case, topicArn, context, decision) => {
    expect(await deliver(topicArn, context)).toBe(decision);
  });

  it('rejects anyone of another account sending to any queue of the stack', async () => {
    const queues = policies.logicalIds('AWS::SQS::Queue');
    expect(queues).toHaveLength(4);
    for (const id of queues) expect(await decide({ caller: intruder, action: 'sqs:SendMessage', resource: policies.arn(id) })).toBe('ImplicitlyDenied');
  });
});

describe('SNS → feedback queue from a topic in another account or region (the pipeline\'s side)', () => {
  const CROSS_ACCOUNT_TOPIC = `arn:${partition}:sns:${region}:${OTHER_ACCOUNT}:identity-feedback`;
  const CROSS_REGION_TOPIC = `arn:${partition}:sns:us-east-1:${account}:identity-feedback`;
  const OPT_IN_TOPIC = `arn:${partition}:sns:af-south-1:${account}:identity-feedback`;

  /** The pipeline in a stack with an env (both regions known at synth), deployed there, subscribed to `topicArns`. */
  function subscribedTo(into: { account: string; region: string }, topicArns: string[]): StackPolicies {
    const stack = new Stack(appWithoutBundling(), 'Remote', { env: into });
    const topics = topicArns.map((arn, i) => sns.Topic.fromTopicArn(stack, `Topic${i}`, arn));
    new SesFeedbackPipeline(stack, 'Pipeline', { additionalFeedbackTopics: topics });
    return new StackPolicies(Template.fromStack(stack).toJSON() as CfnTemplate, 'Remote', { ...into, partition });
  }
  /** SNS delivering a message of `topicArn` as `principal`, with the keys SNS sends (the topic's ARN and account). */
  const deliver = (p: StackPolicies, topicArn: string, principal = 'sns.amazonaws.com') =>
    p.evaluate({
      caller: { service: principal },
      action: 'sqs:SendMessage',
      resource: p.arn(p.logicalId('AWS::SQS::Queue', 'PipelineQueue')),
      context: { 'aws:SourceArn': topicArn, 'aws:SourceAccount': topicArn.split(':')[4] as string },
    });

  let remote: StackPolicies;
  beforeAll(() => {
    remote = subscribedTo({ account, region }, [CROSS_ACCOUNT_TOPIC, CROSS_REGION_TOPIC, OPT_IN_TOPIC]);
  });

  it("subscribes the queue in each topic's region (Region of the subscription), one queue-policy statement per topic", () => {
    const queue = remote.arn(remote.logicalId('AWS::SQS::Queue', 'PipelineQueue'));
    const subscriptions = remote.logicalIds('AWS::SNS::Subscription').map((id) => remote.template.resources[id]?.Properties);
    for (const topicArn of [CROSS_ACCOUNT_TOPIC, CROSS_REGION_TOPIC, OPT_IN_TOPIC]) {
      expect(subscriptions).toContainEqual({ Protocol: 'sqs', Endpoint: queue, TopicArn: topicArn, Region: topicArn.split(':')[3] });
    }
    const statements = remote.resourcePolicy(queue)?.Statement ?? [];
    expect(statements.filter((s) => s.Action === 'sqs:SendMessage')).toHaveLength(4);
  });

  it('lets SNS deliver from a topic of another account and from a topic of another region (aws:SourceArn of the topic)', async () => {
    expect(await deliver(remote, CROSS_ACCOUNT_TOPIC)).toBe('Allowed');
    expect(await deliver(remote, CROSS_REGION_TOPIC)).toBe('Allowed');
  });

  it.each([
    ['a topic of the same name in a third account', `arn:${partition}:sns:${region}:777788889999:identity-feedback`],
    ["another topic of the topic owner's account", `arn:${partition}:sns:${region}:${OTHER_ACCOUNT}:other`],
    ["the topic owner's topic of the same name in another region", `arn:${partition}:sns:us-west-2:${OTHER_ACCOUNT}:identity-feedback`],
  ])('rejects SNS delivering from %s', async (_case, topicArn) => {
    expect(await deliver(remote, topicArn)).toBe('ImplicitlyDenied');
  });

  it('lets SNS deliver from a topic in an opt-in region as sns.<topic region>.amazonaws.com only, as SNS requires', async () => {
    expect(await deliver(remote, OPT_IN_TOPIC, 'sns.af-south-1.amazonaws.com')).toBe('Allowed');
    expect(await deliver(remote, OPT_IN_TOPIC, 'sns.amazonaws.com')).toBe('ImplicitlyDenied');
    // The regional principal admits that topic only.
    expect(await deliver(remote, CROSS_REGION_TOPIC, 'sns.af-south-1.amazonaws.com')).toBe('ImplicitlyDenied');
  });

  it('lets SNS deliver to a queue in an opt-in region from another region as sns.<queue region>.amazonaws.com only', async () => {
    const optIn = subscribedTo({ account, region: 'af-south-1' }, [CROSS_REGION_TOPIC]);
    expect(await deliver(optIn, CROSS_REGION_TOPIC, 'sns.af-south-1.amazonaws.com')).toBe('Allowed');
    expect(await deliver(optIn, CROSS_REGION_TOPIC, 'sns.amazonaws.com')).toBe('ImplicitlyDenied');
    expect(await deliver(optIn, CROSS_REGION_TOPIC, 'sns.us-east-1.amazonaws.com')).toBe('ImplicitlyDenied');
  });
});

describe("the topic owner's side: feedbackTopicSubscribePolicy on a topic of another account", () => {
  const TOPIC = `arn:${partition}:sns:${region}:${OTHER_ACCOUNT}:identity-feedback`;
  const QUEUE = `arn:${partition}:sqs:${region}:${account}:Flows-PipelineQueue-GENERATED0000`;

  /** The topic in its owner's stack, deployed into the owner's account, with `statement` added to its policy. */
  function topicOwner(statement?: (topic: sns.Topic) => iam.PolicyStatement): StackPolicies {
    const stack = new Stack(appWithoutBundling(), 'TopicOwner', { env: { account: OTHER_ACCOUNT, region } });
    const topic = new sns.Topic(stack, 'IdentityFeedback', { topicName: 'identity-feedback' });
    if (statement) topic.addToResourcePolicy(statement(topic));
    return new StackPolicies(Template.fromStack(stack).toJSON() as CfnTemplate, 'TopicOwner', { account: OTHER_ACCOUNT, region, partition });
  }
  /** CloudFormation in `inAccount` (its execution role may do anything there), subscribing `endpoint`. */
  const subscribe = (p: StackPolicies, inAccount: string, endpoint = QUEUE, protocol = 'sqs') =>
    p.evaluate({
      caller: { arn: `arn:${partition}:sts::${inAccount}:assumed-role/cdk-hnb659fds-cfn-exec-role-${inAccount}-${region}/AWSCloudFormation`, policies: intruder.policies },
      action: 'sns:Subscribe',
      resource: TOPIC,
      context: { 'sns:Protocol': protocol, 'sns:Endpoint': endpoint },
    });

  let granted: StackPolicies;
  beforeAll(() => {
    granted = topicOwner((topic) => feedbackTopicSubscribePolicy({ topicArn: topic.topicArn, pipelineAccount: account }));
  });

  it("lets the pipeline's account subscribe its queue, in this region or another, when the statement is on the topic", async () => {
    expect(granted.resourcePolicy(TOPIC)?.Statement).toHaveLength(1);
    expect(await subscribe(granted, account)).toBe('Allowed');
    expect(await subscribe(granted, account, `arn:${partition}:sqs:us-east-1:${account}:Remote-PipelineQueue-GENERATED0000`)).toBe('Allowed');
  });

  it("fails the pipeline's subscription without the statement (the check is live)", async () => {
    expect(await subscribe(topicOwner(), account)).toBe('ImplicitlyDenied');
  });

  it.each([
    ['a third account subscribing its own queue', '777788889999', `arn:${partition}:sqs:${region}:777788889999:q`, 'sqs'],
    ["the pipeline's account subscribing a queue of a third account", account, `arn:${partition}:sqs:${region}:777788889999:q`, 'sqs'],
    ["the pipeline's account subscribing an HTTPS endpoint", account, 'https://example.com/hook', 'https'],
    ["the pipeline's account subscribing an email address", account, 'ops@example.com', 'email'],
    ["the pipeline's account subscribing its queue by another protocol", account, QUEUE, 'https'],
  ])('rejects %s', async (_case, inAccount, endpoint, protocol) => {
    expect(await subscribe(granted, inAccount, endpoint, protocol)).toBe('ImplicitlyDenied');
  });

  it('lets only the named queue subscribe when queueArn is given', async () => {
    const one = topicOwner((topic) => feedbackTopicSubscribePolicy({ topicArn: topic.topicArn, pipelineAccount: account, queueArn: QUEUE }));
    expect(await subscribe(one, account)).toBe('Allowed');
    expect(await subscribe(one, account, `arn:${partition}:sqs:${region}:${account}:another`)).toBe('ImplicitlyDenied');
  });

  it('is the statement docs/deploy.md shows the topic owner', () => {
    const deployMd = readFileSync(path.join(__dirname, '../../docs/deploy.md'), 'utf8');
    const shown = /<!-- feedbackTopicSubscribePolicy -->\s*```json\n([\s\S]*?)```/.exec(deployMd)?.[1];
    expect(shown).toBeDefined();
    expect(JSON.parse(shown as string)).toEqual(granted.resourcePolicy(TOPIC)?.Statement[0]);
  });

  it('fails on a pipeline account that is not an account ID', () => {
    expect(() => feedbackTopicSubscribePolicy({ topicArn: TOPIC, pipelineAccount: 'pipeline' })).toThrow("pipelineAccount must be a 12-digit account ID, got 'pipeline'");
  });
});

describe('each function parks what it cannot complete in its own source queue\'s dead-letter queue, and no other', () => {
  const queue = (id: string) => policies.arn(policies.logicalId('AWS::SQS::Queue', id));
  const park = (fn: string, dlq: string) => decide({ caller: { role: policies.roleOf(policies.logicalId('AWS::Lambda::Function', fn)) }, action: 'sqs:SendMessage', resource: queue(dlq) });

  it.each([
    ['PipelineProcessFeedback', 'PipelineDeadLetterQueue', 'Allowed'],
    ['PipelineProcessFeedback', 'PipelineSuppressionDeadLetterQueue', 'ImplicitlyDenied'],
    ['PipelineWriteSuppressions', 'PipelineSuppressionDeadLetterQueue', 'Allowed'],
    ['PipelineWriteSuppressions', 'PipelineDeadLetterQueue', 'ImplicitlyDenied'],
  ])('%s → %s: %s', async (fn, dlq, decision) => {
    expect(await park(fn, dlq)).toBe(decision);
  });
});

describe('CloudWatch alarms → alert topic and its key', () => {
  const topicId = () => policies.logicalId('AWS::SNS::Topic', 'PipelineAlertTopic');
  const key = () => policies.arn(policies.logicalId('AWS::KMS::Key', 'PipelineAlertTopicKey'));
  const alarmPublish = (alarmArn: string, context: Record<string, string> = {}) =>
    decide({ caller: cloudwatch, action: 'sns:Publish', resource: policies.arn(topicId(), 'TopicArn'), context: { 'aws:SourceAccount': account, 'aws:SourceArn': alarmArn, ...context } });

  it('lets CloudWatch publish every alarm of the stack to the alert topic (aws:SourceAccount, aws:SourceArn of the alarm)', async () => {
    const alarms = policies.logicalIds('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(17);
    for (const alarm of alarms) {
      expect(policies.template.resources[alarm]?.Properties?.AlarmActions).toEqual([policies.arn(topicId(), 'TopicArn')]);
      expect([alarm, await alarmPublish(policies.arn(alarm))]).toEqual([alarm, 'Allowed']);
    }
  });

  it('lets CloudWatch encrypt and decrypt with the alert topic key', async () => {
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) expect(await decide({ caller: cloudwatch, action, resource: key() })).toBe('Allowed');
  });

  it.each([
    ["another account's alarm", `arn:${partition}:cloudwatch:${region}:${OTHER_ACCOUNT}:alarm:x`, { 'aws:SourceAccount': OTHER_ACCOUNT }, 'ImplicitlyDenied'],
    ['a request without the alarm as its source', `arn:${partition}:events:${region}:${account}:rule/x`, {}, 'ImplicitlyDenied'],
    ['plain HTTP', `arn:${partition}:cloudwatch:${region}:${account}:alarm:x`, { 'aws:SecureTransport': 'false' }, 'ExplicitlyDenied'],
  ])('rejects CloudWatch publishing for %s', async (_case, sourceArn, context, decision) => {
    expect(await alarmPublish(sourceArn, context)).toBe(decision);
  });

  it('fails the CloudWatch flow when the topic policy lacks its statement (the check is live)', async () => {
    const template = Template.fromStack(stack).toJSON() as CfnTemplate & { Resources: Record<string, { Type: string; Properties: { PolicyDocument: { Statement: Array<{ Sid?: string }> } } }> };
    const policy = Object.values(template.Resources).find((r) => r.Type === 'AWS::SNS::TopicPolicy' && JSON.stringify(r).includes('AllowCloudWatchAlarmsToPublish'));
    expect(policy).toBeDefined();
    policy!.Properties.PolicyDocument.Statement = policy!.Properties.PolicyDocument.Statement.filter((s) => s.Sid !== 'AllowCloudWatchAlarmsToPublish');
    const without = new StackPolicies(template, 'Flows');
    const alarm = without.arn(without.logicalIds('AWS::CloudWatch::Alarm')[0] as string);
    const request = { caller: cloudwatch, action: 'sns:Publish', resource: without.arn(topicId(), 'TopicArn'), context: { 'aws:SourceAccount': account, 'aws:SourceArn': alarm } };
    expect(await without.evaluate(request)).toBe('ImplicitlyDenied');
  });

  it('rejects SES using the alert topic key', async () => {
    expect(await decide({ caller: ses, action: 'kms:Decrypt', resource: key() })).toBe('ImplicitlyDenied');
  });
});

describe('EventBridge schedule → reputation watcher', () => {
  const watcher = () => policies.arn(policies.logicalId('AWS::Lambda::Function', 'PipelineWatchReputation'));
  const invoke = (sourceArn: string) => decide({ caller: { service: 'events.amazonaws.com' }, action: 'lambda:InvokeFunction', resource: watcher(), context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account } });

  it('lets the schedule rule invoke the watcher (aws:SourceArn of the rule)', async () => {
    const rule = policies.logicalId('AWS::Events::Rule', 'PipelineWatchReputationSchedule');
    expect(policies.template.resources[rule]?.Properties?.Targets).toEqual([expect.objectContaining({ Arn: watcher() })]);
    expect(await invoke(policies.arn(rule))).toBe('Allowed');
  });

  it('rejects another rule invoking it', async () => {
    expect(await invoke(`arn:${partition}:events:${region}:${account}:rule/someone-elses`)).toBe('ImplicitlyDenied');
  });
});

describe('EventBridge expiry schedule → suppression queue, and the writer\'s reach to end temporary suppressions', () => {
  const queue = () => policies.arn(policies.logicalId('AWS::SQS::Queue', 'PipelineSuppressionQueue'));
  const send = (sourceArn: string) => decide({ caller: { service: 'events.amazonaws.com' }, action: 'sqs:SendMessage', resource: queue(), context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account } });
  const asWriter = (action: string, resource: string) => decide({ caller: { role: policies.roleOf(policies.logicalId('AWS::Lambda::Function', 'PipelineWriteSuppressions')) }, action, resource });

  it('lets the schedule rule put its tick on the suppression queue (aws:SourceArn of the rule), and no other rule', async () => {
    const rule = policies.logicalId('AWS::Events::Rule', 'PipelineExpireSuppressionsSchedule');
    expect(policies.template.resources[rule]?.Properties?.Targets).toEqual([expect.objectContaining({ Arn: queue(), Input: '{"type":"expire"}' })]);
    expect(await send(policies.arn(rule))).toBe('Allowed');
    expect(await send(`arn:${partition}:events:${region}:${account}:rule/someone-elses`)).toBe('ImplicitlyDenied');
    const other = policies.arn(policies.logicalId('AWS::Events::Rule', 'PipelineWatchReputationSchedule'));
    expect(await send(other)).toBe('ImplicitlyDenied');
  });

  it('lets the writer take addresses off the list, and read and delete schedule entries and hold its lease in its table only', async () => {
    expect(await asWriter('ses:DeleteSuppressedDestination', '*')).toBe('Allowed');
    // It never asks SES first: it is the one writer, and the ledger says what is on the list.
    expect(await asWriter('ses:GetSuppressedDestination', '*')).toBe('ImplicitlyDenied');
    // Reading the whole list is the operator's export, not the writer's.
    expect(await asWriter('ses:ListSuppressedDestinations', '*')).toBe('ImplicitlyDenied');
    const table = policies.arn(policies.logicalId('AWS::DynamoDB::Table', 'PipelineTable'));
    for (const action of ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem']) expect([action, await asWriter(action, table)]).toEqual([action, 'Allowed']);
    expect(await asWriter('dynamodb:Scan', table)).toBe('ImplicitlyDenied');
    expect(await asWriter('dynamodb:Query', `arn:${partition}:dynamodb:${region}:${account}:table/another`)).toBe('ImplicitlyDenied');
  });
});

describe("EventBridge alarm rule → guardrail, and the guardrail's reach", () => {
  const guard = () => policies.logicalId('AWS::Lambda::Function', 'PipelinePauseSending');
  const invoke = (sourceArn: string) => decide({ caller: { service: 'events.amazonaws.com' }, action: 'lambda:InvokeFunction', resource: policies.arn(guard()), context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account } });
  const asGuardrail = (action: string, resource: string) => decide({ caller: { role: policies.roleOf(guard()) }, action, resource });

  it('lets the alarm rule invoke the guardrail (aws:SourceArn of the rule), and no other rule', async () => {
    const rule = policies.logicalId('AWS::Events::Rule', 'PipelinePauseSendingRule');
    expect(policies.template.resources[rule]?.Properties?.Targets).toEqual([expect.objectContaining({ Arn: policies.arn(guard()) })]);
    expect(await invoke(policies.arn(rule))).toBe('Allowed');
    expect(await invoke(`arn:${partition}:events:${region}:${account}:rule/someone-elses`)).toBe('ImplicitlyDenied');
  });

  it('lets the rule on the stack\'s finished deploys invoke the guardrail, so it can re-apply the pauses', async () => {
    const rule = policies.logicalId('AWS::Events::Rule', 'PipelineReapplyPausesRule');
    expect(policies.template.resources[rule]?.Properties?.Targets).toEqual([expect.objectContaining({ Arn: policies.arn(guard()) })]);
    expect(await invoke(policies.arn(rule))).toBe('Allowed');
  });

  /** The `aws:ResourceTag/...` keys IAM sees for a set: the tags the template gives it (none for a set it does not own). */
  const tagContext = (name: string): Record<string, string> => {
    const set = Object.values(policies.template.resources).find((r) => r.Type === 'AWS::SES::ConfigurationSet' && r.Properties?.Name === name);
    const tags = (set?.Properties?.Tags ?? []) as Array<{ Key: string; Value: string }>;
    return Object.fromEntries(tags.map((t) => [`aws:ResourceTag/${t.Key}`, t.Value]));
  };
  const switchSending = (name: string, context = tagContext(name), inAccount: string = account) =>
    decide({ caller: { role: policies.roleOf(guard()) }, action: 'ses:PutConfigurationSetSendingOptions', resource: configurationSetArn(name, inAccount), context });

  it('lets it switch the sending of the sets tagged pausable by this stack only: marketing, not transactional, not another stack\'s or account\'s', async () => {
    expect(tagContext('Flows-marketing')).toEqual({ 'aws:ResourceTag/ses-feedback-pipeline:pausable': 'Flows' });
    expect(await switchSending('Flows-marketing')).toBe('Allowed');
    expect(await switchSending('Flows-transactional')).toBe('ImplicitlyDenied');
    expect(await switchSending(EXISTING_SET)).toBe('ImplicitlyDenied');
    expect(await switchSending('Stage-marketing', { 'aws:ResourceTag/ses-feedback-pipeline:pausable': 'Stage' })).toBe('ImplicitlyDenied');
    expect(await switchSending('Flows-marketing', tagContext('Flows-marketing'), OTHER_ACCOUNT)).toBe('ImplicitlyDenied');
    expect(await asGuardrail('ses:PutSuppressedDestination', '*')).toBe('ImplicitlyDenied');
  });

  it('lets it read any set of this account (its tags say whether it is pausable) and list them, and change nothing else of a set', async () => {
    expect(await asGuardrail('ses:GetConfigurationSet', configurationSetArn('Flows-transactional'))).toBe('Allowed');
    expect(await asGuardrail('ses:ListConfigurationSets', '*')).toBe('Allowed');
    for (const action of ['ses:PutConfigurationSetReputationOptions', 'ses:DeleteConfigurationSet', 'ses:TagResource']) {
      expect([action, await asGuardrail(action, configurationSetArn('Flows-marketing'))]).toEqual([action, 'ImplicitlyDenied']);
    }
  });

  it('lets it switch an existing set named pausable by its ARN (the stack cannot tag it)', async () => {
    const withExisting = deployed('Existing', { pausableConfigurationSetNames: ['marketing', EXISTING_SET] }).policies;
    const fn = withExisting.logicalId('AWS::Lambda::Function', 'PipelinePauseSending');
    const put = (name: string) => withExisting.evaluate({ caller: { role: withExisting.roleOf(fn) }, action: 'ses:PutConfigurationSetSendingOptions', resource: configurationSetArn(name) });
    expect(await put(EXISTING_SET)).toBe('Allowed');
    expect(await put('Existing-transactional')).toBe('ImplicitlyDenied');
  });

  it('lets it record, alert and announce: PutItem on the table, Publish on the alert topic with its key, PutEvents on the bus', async () => {
    expect(await asGuardrail('dynamodb:PutItem', policies.arn(policies.logicalId('AWS::DynamoDB::Table', 'PipelineTable')))).toBe('Allowed');
    // Query: whether a set found paused has its pause recorded.
    expect(await asGuardrail('dynamodb:Query', policies.arn(policies.logicalId('AWS::DynamoDB::Table', 'PipelineTable')))).toBe('Allowed');
    // DeleteItem: a probation that ended; nothing on another table.
    expect(await asGuardrail('dynamodb:DeleteItem', policies.arn(policies.logicalId('AWS::DynamoDB::Table', 'PipelineTable')))).toBe('Allowed');
    expect(await asGuardrail('dynamodb:DeleteItem', `arn:${partition}:dynamodb:${region}:${account}:table/another`)).toBe('ImplicitlyDenied');
    expect(await asGuardrail('sns:Publish', policies.arn(policies.logicalId('AWS::SNS::Topic', 'PipelineAlertTopic'), 'TopicArn'))).toBe('Allowed');
    expect(await asGuardrail('kms:GenerateDataKey', policies.arn(policies.logicalId('AWS::KMS::Key', 'PipelineAlertTopicKey')))).toBe('Allowed');
    expect(await asGuardrail('events:PutEvents', `arn:${partition}:events:${region}:${account}:event-bus/default`)).toBe('Allowed');
    expect(await asGuardrail('sns:Publish', policies.arn(policies.logicalId('AWS::SNS::Topic', 'PipelineFeedbackTopic'), 'TopicArn'))).toBe('ImplicitlyDenied');
  });
});

describe('SES → import bucket and its key', () => {
  const bucket = () => policies.arn(policies.logicalId('AWS::S3::Bucket', 'PipelineImportBucket'));
  const key = () => policies.arn(policies.logicalId('AWS::KMS::Key', 'PipelineKey'));
  const read = (object: string, referer: string = account) => decide({ caller: ses, action: 's3:GetObject', resource: `${bucket()}/${object}`, context: { 'aws:Referer': referer } });

  it("lets SES read the import files under imports/ on this account's behalf (aws:Referer), and decrypt them", async () => {
    expect(await read('imports/pipeline/2026-11-27/job.jsonl')).toBe('Allowed');
    expect(await read('imports/other/rows.csv')).toBe('Allowed');
    expect(await decide({ caller: ses, action: 'kms:Decrypt', resource: key() })).toBe('Allowed');
  });

  it.each([
    ['for another account', () => read('imports/pipeline/job.jsonl', OTHER_ACCOUNT)],
    ['outside imports/', () => read('other/file.csv')],
    ['anonymously (public read)', () => decide({ caller: { type: 'Anonymous' }, action: 's3:GetObject', resource: `${bucket()}/imports/pipeline/job.jsonl` })],
    ['by another account', () => decide({ caller: intruder, action: 's3:GetObject', resource: `${bucket()}/imports/pipeline/job.jsonl` })],
  ])('rejects reading an import file %s', async (_case, request) => {
    expect(await request()).toBe('ImplicitlyDenied');
  });

  it('rejects SES writing files or making data keys, and any read over plain HTTP', async () => {
    expect(await decide({ caller: ses, action: 's3:PutObject', resource: `${bucket()}/imports/pipeline/x` })).toBe('ImplicitlyDenied');
    expect(await decide({ caller: ses, action: 'kms:GenerateDataKey', resource: key() })).toBe('ImplicitlyDenied');
    const http = { caller: ses, action: 's3:GetObject', resource: `${bucket()}/imports/pipeline/x`, context: { 'aws:Referer': account, 'aws:SecureTransport': 'false' } };
    expect(await decide(http)).toBe('ExplicitlyDenied');
  });
});

describe('function roles', () => {
  const fn = (prefix: string) => policies.logicalId('AWS::Lambda::Function', prefix);
  const role = (prefix: string) => ({ role: policies.roleOf(fn(prefix)) });
  const keyArn = (prefix: string) => policies.arn(policies.logicalId('AWS::KMS::Key', prefix));

  it("lets Lambda poll each event source with the function's role: ReceiveMessage, DeleteMessage, GetQueueAttributes, and nothing more", async () => {
    const mappings = policies.logicalIds('AWS::Lambda::EventSourceMapping').map((id) => policies.template.resources[id]?.Properties ?? {});
    expect(mappings).toHaveLength(2);
    for (const mapping of mappings) {
      const owner = policies.logicalIds('AWS::Lambda::Function').find((id) => policies.template.ref(id) === mapping.FunctionName) as string;
      const request = (action: string) => decide({ caller: { role: policies.roleOf(owner) }, action, resource: mapping.EventSourceArn as string });
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) expect([owner, action, await request(action)]).toEqual([owner, action, 'Allowed']);
      for (const action of ['sqs:GetQueueUrl', 'sqs:ChangeMessageVisibility', 'sqs:PurgeQueue']) expect([owner, action, await request(action)]).toEqual([owner, action, 'ImplicitlyDenied']);
    }
  });

  it.each([
    ['the processor calling ses:PutSuppressedDestination', 'PipelineProcessFeedback', 'ses:PutSuppressedDestination', () => '*'],
    ['the processor using the feedback topic key (SNS decrypts for it)', 'PipelineProcessFeedback', 'kms:Decrypt', () => keyArn('PipelineFeedbackTopicKey')],
    ['the watcher using the import bucket key', 'PipelineWatchReputation', 'kms:Decrypt', () => keyArn('PipelineKey')],
    ['the writer using the alert topic key', 'PipelineWriteSuppressions', 'kms:GenerateDataKey', () => keyArn('PipelineAlertTopicKey')],
    ['the writer reading an import file outside its own prefix', 'PipelineWriteSuppressions', 's3:GetObject', () => `${policies.arn(policies.logicalId('AWS::S3::Bucket', 'PipelineImportBucket'))}/imports/other/rows.csv`],
    ["the writer following another account's import job", 'PipelineWriteSuppressions', 'ses:GetImportJob', () => `arn:${partition}:ses:${region}:${OTHER_ACCOUNT}:import-job/abc`],
    ['the watcher publishing to the feedback topic', 'PipelineWatchReputation', 'sns:Publish', () => policies.arn(policies.logicalId('AWS::SNS::Topic', 'PipelineFeedbackTopic'), 'TopicArn')],
  ])('rejects %s', async (_case, prefix, action, resource) => {
    expect(await decide({ caller: role(prefix), action, resource: resource() })).toBe('ImplicitlyDenied');
  });

  it("lets the writer follow this account's import jobs", async () => {
    const job = `arn:${partition}:ses:${region}:${account}:import-job/0d6e1d83-9a6b-4a8c-8d3e-1f0e0c6a8b2f`;
    expect(await decide({ caller: role('PipelineWriteSuppressions'), action: 'ses:GetImportJob', resource: job })).toBe('Allowed');
  });
});

describe('import bucket emptied on delete (removalPolicy DESTROY)', () => {
  let destroy: StackPolicies;
  beforeAll(() => {
    destroy = deployed('Scratch', { removalPolicy: RemovalPolicy.DESTROY }).policies;
  });
  const provider = () => ({ role: destroy.roleOf(destroy.logicalId('AWS::Lambda::Function', 'CustomS3AutoDeleteObjectsCustomResourceProviderHandler')) });
  const bucket = () => destroy.arn(destroy.logicalId('AWS::S3::Bucket', 'PipelineImportBucket'));

  it("lets the custom resource's role list and delete the objects of the import bucket", async () => {
    expect(await destroy.evaluate({ caller: provider(), action: 's3:ListBucket', resource: bucket() })).toBe('Allowed');
    expect(await destroy.evaluate({ caller: provider(), action: 's3:DeleteObject', resource: `${bucket()}/imports/pipeline/x.jsonl` })).toBe('Allowed');
  });

  it('rejects it reading the files (addresses in clear) or touching any other bucket', async () => {
    expect(await destroy.evaluate({ caller: provider(), action: 's3:GetObject', resource: `${bucket()}/imports/pipeline/x.jsonl` })).toBe('ImplicitlyDenied');
    expect(await destroy.evaluate({ caller: provider(), action: 's3:DeleteObject', resource: `arn:${partition}:s3:::another-bucket/x` })).toBe('ImplicitlyDenied');
    expect(await destroy.evaluate({ caller: provider(), action: 's3:ListBucket', resource: `arn:${partition}:s3:::another-bucket` })).toBe('ImplicitlyDenied');
  });
});

describe('the template resolver', () => {
  const deployment = { ...DEPLOYMENT, stackName: 'S' };
  const resolve = (value: unknown) =>
    resolveTemplate({ Resources: { Q: { Type: 'AWS::SQS::Queue' }, T: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alerts' } }, X: { Type: 'AWS::Test::Thing', Properties: { value } } } }, deployment)
      .resources.X?.Properties?.value;

  it.each<[string, unknown, unknown]>([
    ['a pseudo parameter', { Ref: 'AWS::AccountId' }, account],
    ['Fn::Join of pseudo parameters', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }]] }, `arn:aws:ses:${region}`],
    ['Fn::Sub with a resource attribute and a variable', { 'Fn::Sub': ['${Q.Arn}/${v}', { v: { Ref: 'AWS::Region' } }] }, `arn:aws:sqs:${region}:${account}:S-Q-GENERATED0000/${region}`],
    ['Ref of a named topic', { Ref: 'T' }, `arn:aws:sns:${region}:${account}:alerts`],
    ['Fn::Select over Fn::Split', { 'Fn::Select': [1, { 'Fn::Split': ['/', { Ref: 'Q' }] }] }, ''],
    ['AWS::NoValue inside a list', ['a', { Ref: 'AWS::NoValue' }], ['a']],
  ])('resolves %s', (_case, value, expected) => {
    expect(resolve(value)).toEqual(expected);
  });

  it('fails on an attribute it does not model, rather than guess', () => {
    expect(() => resolve({ 'Fn::GetAtt': ['Q', 'Nonsense'] })).toThrow('Fn::GetAtt Q.Nonsense (AWS::SQS::Queue.Nonsense) is not modelled');
  });
});
