import { rmSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_STACK_CONFIGURATION_SETS, DEFAULT_STACK_NAME } from '../../lambdas/shared/contract.js';
import { SesFeedbackStack } from '../../lib/ses-feedback-stack.js';
import { LOCAL_ACCOUNT, queueArnOf } from '../../local/call-authorization.js';
import type { AuthorizedCall } from '../../local/call-meter.js';
import { LOCAL_CLIENT_CONFIG } from '../../local/dynamodb-local.js';
import { LocalPipeline } from '../../local/pipeline.js';
import { type FunctionName } from '../../local/function-worker.js';
import { type LocalResources } from '../../local/resources.js';
import { bounce, complaint, type MailFacts } from '../../local/ses-events.js';
import type { CfnTemplate } from '../support/cfn-resolve.js';
import { DEPLOYMENT, StackPolicies, type AwsRequest, type IdentityPolicy } from '../support/iam-model.js';

/**
 * Every AWS call the functions made in a local run must be allowed in AWS by that function's role
 * in the synthesized stack. The call meter records each call's IAM action and resource,
 * attributed to its function by the SDK's User-Agent app ID; the local resources are mapped to the
 * stack's (one table, below); the IAM evaluator decides with the role's policies and the
 * resource's policy, plus the KMS calls S3 and SNS make with the caller's rights. No list of
 * actions is kept by hand: a new call in the code is checked the day it is made.
 */
jest.setTimeout(180_000);

/** How long a suppression that soft bounces escalated lasts in this run. */
const EXPIRY_SECONDS = 3;

/** The function behind each app ID, by the prefix of its logical ID in the template. */
const FUNCTIONS: Record<FunctionName, string> = {
  'process-feedback': 'PipelineProcessFeedback',
  'write-suppressions': 'PipelineWriteSuppressions',
  'watch-reputation': 'PipelineWatchReputation',
  'pause-sending': 'PipelinePauseSending',
};

/** Each local resource and the stack's resource it stands for, as [local ARN, template ARN]. */
function resourceTable(local: LocalResources, stack: StackPolicies): Array<[string, string]> {
  const region = LOCAL_CLIENT_CONFIG.region;
  const arn = (type: string, prefix: string, attribute?: string) => stack.arn(stack.logicalId(type, prefix), attribute);
  const queue = (url: string) => queueArnOf(url, region) as string;
  return [
    [queue(local.queueUrl), arn('AWS::SQS::Queue', 'PipelineQueue')],
    [queue(local.deadLetterQueueUrl), arn('AWS::SQS::Queue', 'PipelineDeadLetterQueue')],
    [queue(local.suppressionQueueUrl), arn('AWS::SQS::Queue', 'PipelineSuppressionQueue')],
    [queue(local.suppressionDeadLetterQueueUrl), arn('AWS::SQS::Queue', 'PipelineSuppressionDeadLetterQueue')],
    [`arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${local.tableName}`, arn('AWS::DynamoDB::Table', 'PipelineTable')],
    [`arn:aws:s3:::${local.importBucketName}`, arn('AWS::S3::Bucket', 'PipelineImportBucket')],
    [local.topicArn, arn('AWS::SNS::Topic', 'PipelineFeedbackTopic', 'TopicArn')],
    [local.alertTopicArn, arn('AWS::SNS::Topic', 'PipelineAlertTopic', 'TopicArn')],
    // The account's default bus, and its import jobs (IDs are SES's).
    [`arn:aws:events:${region}:${LOCAL_ACCOUNT}:event-bus/default`, `arn:aws:events:${DEPLOYMENT.region}:${DEPLOYMENT.account}:event-bus/default`],
    [`arn:aws:ses:${region}:${LOCAL_ACCOUNT}:import-job`, `arn:aws:ses:${DEPLOYMENT.region}:${DEPLOYMENT.account}:import-job`],
    // The configuration sets: the local pipeline plays a default deploy, whose sets have these names.
    [`arn:aws:ses:${region}:${LOCAL_ACCOUNT}:configuration-set`, `arn:aws:ses:${DEPLOYMENT.region}:${DEPLOYMENT.account}:configuration-set`],
  ];
}

/** The recorded resource as it is in the deployed stack; throws on one the table does not map. */
function inStack(resource: string, table: Array<[string, string]>): string {
  if (resource === '*') return resource;
  for (const [local, deployed] of table) {
    if (resource === local || resource.startsWith(`${local}/`)) return deployed + resource.slice(local.length);
  }
  throw new Error(`no resource of the stack stands for the local ${resource}: add it to the table`);
}

/**
 * The requests AWS authorizes for one recorded call: the call itself, and the KMS calls a service
 * makes with the caller's rights for an encrypted target (S3 SSE-KMS: GenerateDataKey to write,
 * Decrypt to read; SNS: GenerateDataKey and Decrypt to publish to an encrypted topic).
 */
function requestsFor(call: { action: string; resource: string }, stack: StackPolicies): Array<Pick<AwsRequest, 'action' | 'resource'>> {
  const requests = [call];
  const bucket = /^arn:aws:s3:::([^/]+)\//.exec(call.resource)?.[1];
  if (bucket) {
    const id = stack.logicalIds('AWS::S3::Bucket').find((b) => stack.template.ref(b) === bucket);
    const encryption = stack.template.resources[id ?? '']?.Properties?.BucketEncryption as { ServerSideEncryptionConfiguration: Array<{ ServerSideEncryptionByDefault: { KMSMasterKeyID?: string } }> } | undefined;
    const key = encryption?.ServerSideEncryptionConfiguration[0]?.ServerSideEncryptionByDefault.KMSMasterKeyID;
    if (key && call.action === 's3:PutObject') requests.push({ action: 'kms:GenerateDataKey', resource: key });
    if (key && call.action === 's3:GetObject') requests.push({ action: 'kms:Decrypt', resource: key });
  }
  if (call.action === 'sns:Publish') {
    const topic = stack.logicalIds('AWS::SNS::Topic').find((t) => stack.arn(t, 'TopicArn') === call.resource);
    const key = stack.template.resources[topic ?? '']?.Properties?.KmsMasterKeyId as string | undefined;
    if (key) requests.push({ action: 'kms:GenerateDataKey', resource: key }, { action: 'kms:Decrypt', resource: key });
  }
  return requests;
}

const facts = (n: number, extra: Partial<MailFacts> = {}): MailFacts => ({
  address: `reader${n}@stale.example.net`,
  messageId: `0100019a-iam-${String(n).padStart(6, '0')}`,
  at: new Date(Date.UTC(2026, 10, 20, 10, 0, n)),
  configurationSet: DEFAULT_STACK_CONFIGURATION_SETS.marketing,
  ...extra,
});

describe("every call of a local run, against the functions' roles in the stack", () => {
  let calls: AuthorizedCall[];
  let stack: StackPolicies;
  let table: Array<[string, string]>;
  let localTags: Record<string, Readonly<Record<string, string>>>;

  beforeAll(async () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new StackPolicies(Template.fromStack(new SesFeedbackStack(app, DEFAULT_STACK_NAME)).toJSON() as CfnTemplate, DEFAULT_STACK_NAME);
    rmSync('.local/logs/iam', { recursive: true, force: true });
    const pipeline = await LocalPipeline.start({ meter: true, timeCompression: 20, importThreshold: 5, temporarySuppressionSeconds: EXPIRY_SECONDS, logDir: '.local/logs/iam' });
    try {
      table = resourceTable(pipeline.resources, stack);
      await pipeline.startWorker();
      pipeline.ses.refused.add('refused@example.net');
      // single puts, a soft bounce, a complaint; a message the processor parks; an address SES refuses, which the writer parks
      await pipeline.publish([
        bounce(facts(1)),
        bounce(facts(2)),
        complaint(facts(3, { address: 'angry@example.org' })),
        bounce(facts(4, { address: 'full@example.org' }), 'Transient', 'MailboxFull'),
        bounce(facts(5, { address: 'refused@example.net' })),
        'this is not an SES message',
      ]);
      await pipeline.drain(60_000);
      // a flood: an import job (file in S3, CreateImportJob, follow-ups, ledger, announcements)
      await pipeline.publish(Array.from({ length: 20 }, (_, i) => bounce(facts(100 + i))));
      await pipeline.drain(60_000);
      // soft bounces escalate; once their suppressions end, the expiry tick takes them off with
      // single calls (the schedule's query, the ledger's conditional updates and deletes)
      for (const addresses of [['full1@example.org', 'full2@example.org'], Array.from({ length: 6 }, (_, i) => `full${10 + i}@example.org`)]) {
        await pipeline.publish(addresses.flatMap((address, n) => [1, 2, 3, 4, 5].map((day) => bounce(facts(1000 + n * 10 + day, { address }), 'Transient', 'MailboxFull'))));
        await pipeline.drain(60_000);
        await new Promise((resolve) => setTimeout(resolve, (EXPIRY_SECONDS + 1) * 1000));
        await pipeline.expireSuppressions();
        await pipeline.drain(60_000);
        expect(addresses.filter((a) => pipeline.ses.list.has(a))).toEqual([]);
      }
      // the watcher's scheduled look, with the account under review: it alerts
      pipeline.ses.account.enforcementStatus = 'PROBATION';
      expect(await pipeline.watchReputation()).toMatchObject({ enforcementStatus: 'PROBATION', changed: true });
      expect(pipeline.ses.importJobs.size).toBeGreaterThan(0);
      // the guardrail: marketing's bounce rate crosses its critical line, its alarm's event pauses it
      await pipeline.raiseReputationAlarms({ [DEFAULT_STACK_CONFIGURATION_SETS.marketing]: { bounce: 0.08, complaint: 0 } });
      expect(pipeline.ses.configurationSets.get(DEFAULT_STACK_CONFIGURATION_SETS.marketing)).toMatchObject({ sendingEnabled: false });
      localTags = Object.fromEntries([...pipeline.ses.configurationSets].map(([name, set]) => [name, set.tags ?? {}]));
      calls = pipeline.meter?.calls.authorizations() ?? [];
    } finally {
      await pipeline.stop();
    }
  });

  /** The tags the stack gives a configuration set, as IAM sees them on a request to it (`aws:ResourceTag/...`). */
  const tagContext = (resource: string): Record<string, string> => {
    const name = /:configuration-set\/(.+)$/.exec(resource)?.[1];
    const set = Object.values(stack.template.resources).find((r) => r.Type === 'AWS::SES::ConfigurationSet' && r.Properties?.Name === name);
    const tags = (set?.Properties?.Tags ?? []) as Array<{ Key: string; Value: string }>;
    return Object.fromEntries(tags.map((t) => [`aws:ResourceTag/${t.Key}`, t.Value]));
  };

  /** What AWS decides for a request (on a resource of the stack) made with the role of the function `caller`. */
  const decide = (caller: string, request: Pick<AwsRequest, 'action' | 'resource'>, identityPolicies?: readonly IdentityPolicy[]) => {
    const role = stack.roleOf(stack.logicalId('AWS::Lambda::Function', FUNCTIONS[caller as FunctionName]));
    return stack.evaluate({ caller: { role }, ...request, context: tagContext(request.resource) }, identityPolicies ? { identityPolicies } : {});
  };

  it('tags the local configuration sets as the stack tags them (the guardrail decides by the tag)', () => {
    const arn = (name: string) => `arn:aws:ses:${DEPLOYMENT.region}:${DEPLOYMENT.account}:configuration-set/${name}`;
    for (const [name, tags] of Object.entries(localTags)) {
      expect([name, Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]))]).toEqual([name, tagContext(arn(name))]);
    }
    expect(Object.keys(tagContext(arn(DEFAULT_STACK_CONFIGURATION_SETS.marketing)))).toHaveLength(1);
  });

  it('exercised every function path: single puts, an import job, parking in the DLQ by both functions, expiry by single calls, the writer\'s lease, the watcher, the guardrail', () => {
    const seen = (caller: string, action: string, resourcePart = '') => calls.some((c) => c.caller === caller && c.action === action && c.resource.includes(resourcePart));
    expect(calls.filter((c) => c.caller === null || !(c.caller in FUNCTIONS))).toEqual([]);
    expect(calls.filter((c) => c.action.startsWith('unmodelled:'))).toEqual([]);
    const expected: Array<[FunctionName, string, string?]> = [
      ['process-feedback', 'sqs:ReceiveMessage'],
      ['process-feedback', 'dynamodb:PartiQLInsert'],
      ['process-feedback', 'dynamodb:UpdateItem'],
      ['process-feedback', 'sqs:SendMessage', 'ses-feedback-suppressions'],
      ['process-feedback', 'sqs:SendMessage', 'ses-feedback-dlq'],
      ['write-suppressions', 'ses:PutSuppressedDestination'],
      ['write-suppressions', 's3:PutObject'],
      ['write-suppressions', 'ses:CreateImportJob'],
      ['write-suppressions', 'ses:GetImportJob'],
      ['write-suppressions', 'events:PutEvents'],
      ['write-suppressions', 'dynamodb:BatchWriteItem'],
      ['write-suppressions', 'sqs:SendMessage', 'ses-feedback-suppressions-dlq'],
      ['write-suppressions', 'sqs:DeleteMessage', 'ses-feedback-suppressions'],
      ['write-suppressions', 'ses:DeleteSuppressedDestination'],
      ['write-suppressions', 'dynamodb:Query'],
      ['write-suppressions', 'dynamodb:UpdateItem'],
      ['write-suppressions', 'dynamodb:DeleteItem'],
      ['write-suppressions', 'dynamodb:PutItem'],
      ['write-suppressions', 'dynamodb:GetItem'],
      ['write-suppressions', 'sqs:SendMessage', 'ses-feedback-suppressions'],
      ['watch-reputation', 'ses:GetAccount'],
      ['watch-reputation', 'cloudwatch:GetMetricData'],
      ['watch-reputation', 'dynamodb:PutItem'],
      ['watch-reputation', 'sns:Publish'],
      ['pause-sending', 'ses:GetConfigurationSet', DEFAULT_STACK_CONFIGURATION_SETS.marketing],
      ['pause-sending', 'ses:PutConfigurationSetSendingOptions', DEFAULT_STACK_CONFIGURATION_SETS.marketing],
      ['pause-sending', 'dynamodb:PutItem'],
      ['pause-sending', 'sns:Publish'],
      ['pause-sending', 'events:PutEvents'],
    ];
    expect(expected.filter(([caller, action, part]) => !seen(caller, action, part))).toEqual([]);
  });

  it('allows every recorded call, and the KMS calls it implies, to the role of the function that made it', async () => {
    expect(calls.length).toBeGreaterThan(20);
    const denied: string[] = [];
    for (const call of calls) {
      for (const request of requestsFor({ action: call.action, resource: inStack(call.resource, table) }, stack)) {
        const decision = await decide(call.caller as string, request);
        if (decision !== 'Allowed') denied.push(`${call.caller} ${request.action} ${request.resource} (${call.operations.join(', ')}): ${decision}`);
      }
    }
    expect(denied).toEqual([]);
  });

  it('fails a call whose statement the role lacks (the check is live)', async () => {
    const writer = stack.roleOf(stack.logicalId('AWS::Lambda::Function', FUNCTIONS['write-suppressions']));
    const without = stack.identityPolicies(writer).map((p) => ({ ...p, policy: { ...p.policy, Statement: p.policy.Statement.filter((s) => s.Sid !== 'SuppressAddresses') } }));
    const createImportJob = calls.find((c) => c.caller === 'write-suppressions' && c.action === 'ses:CreateImportJob');
    expect(createImportJob).toBeDefined();
    const request = { action: 'ses:CreateImportJob', resource: inStack((createImportJob as AuthorizedCall).resource, table) };
    expect(await decide('write-suppressions', request)).toBe('Allowed');
    expect(await decide('write-suppressions', request, without)).toBe('ImplicitlyDenied');
  });

  it('fails a local resource the table does not map, rather than guess', () => {
    expect(() => inStack('arn:aws:sqs:us-east-1:000000000000:a-queue-the-stack-has-not', table)).toThrow('no resource of the stack stands for the local');
  });
});
