import { Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { IMPORT_FILES, processFeedbackEnvironment, reputationWatcherEnvironment, suppressionWriterEnvironment } from '../lambdas/shared/contract.js';
import type { SuppressionMessage } from '../lambdas/shared/suppression.js';
import { defaultProcessFeedbackSettings, defaultSuppressionWriterSettings, writerLeaseSeconds } from '../lambdas/shared/settings.js';
import { PROCESSING, REPUTATION_WATCHER, SUPPRESSION_WRITER } from './defaults.js';
import { PipelineFunction } from './pipeline-function.js';
import type { ResolvedProps } from './pipeline-props.js';

/** What the functions read, write and publish to. */
export interface FunctionResources {
  readonly table: dynamodb.ITable;
  readonly queue: sqs.IQueue;
  /** The feedback queue's dead letters: the processing function parks bad records here. */
  readonly deadLetterQueue: sqs.IQueue;
  readonly suppressionQueue: sqs.IQueue;
  /** The suppression queue's dead letters: the writer parks what SES refused for good here. */
  readonly suppressionDeadLetterQueue: sqs.IQueue;
  readonly importBucket: s3.IBucket;
  readonly importBucketKey: kms.IKey;
  readonly suppressionEventBus: events.IEventBus;
  readonly alertTopic: sns.ITopic;
  readonly alertTopicKey: kms.IKey;
}

/** Classifies feedback, records it, hands addresses to the writer and parks bad records; reads the feedback queue. */
export function processFeedbackFunction(
  scope: Construct,
  resources: Pick<FunctionResources, 'table' | 'queue' | 'deadLetterQueue' | 'suppressionQueue'>,
  config: ResolvedProps,
): PipelineFunction {
  const fn = new PipelineFunction(scope, 'ProcessFeedback', {
    handler: 'process-feedback',
    description: 'Classifies SES bounces and complaints, records and counts them, requests suppressions',
    roleDescription: 'process-feedback: write the feedback table, hand addresses to the suppression writer, park bad records',
    memorySizeInMb: PROCESSING.memorySizeInMb,
    timeout: PROCESSING.timeout,
    statements: [
      new iam.PolicyStatement({ sid: 'RequestSuppressions', actions: ['sqs:SendMessage'], resources: [resources.suppressionQueue.queueArn] }),
      new iam.PolicyStatement({
        sid: 'WriteFeedbackTable',
        actions: ['dynamodb:PartiQLInsert', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
        resources: [resources.table.tableArn],
      }),
      new iam.PolicyStatement({ sid: 'ParkBadRecords', actions: ['sqs:SendMessage'], resources: [resources.deadLetterQueue.queueArn] }),
    ],
    environment: processFeedbackEnvironment({
      ...defaultProcessFeedbackSettings({
        tableName: resources.table.tableName,
        deadLetterQueueUrl: resources.deadLetterQueue.queueUrl,
        suppressionQueueUrl: resources.suppressionQueue.queueUrl,
      }),
      softBounceThreshold: config.softBounceThreshold,
      softBounceWindowInDays: config.softBounceWindow.toDays(),
      eventRetentionInDays: config.eventRetention.toDays(),
      campaignTagName: config.campaignTagName,
      maxReceiveCount: config.maxReceiveCount,
    }),
  });
  fn.consumeQueue(resources.queue, { batchSize: PROCESSING.batchSize, maxBatchingWindow: PROCESSING.maxBatchingWindow, maxConcurrency: PROCESSING.maxConcurrency });
  return fn;
}

/** Puts addresses on the SES suppression list, follows its import jobs and announces each address; reads its one queue, one run at a time. */
export function writeSuppressionsFunction(
  scope: Construct,
  resources: Omit<FunctionResources, 'queue' | 'deadLetterQueue' | 'alertTopic' | 'alertTopicKey'>,
  config: ResolvedProps,
): PipelineFunction {
  const importJobs = Stack.of(scope).formatArn({ service: 'ses', resource: 'import-job', resourceName: '*' });
  const pipelineFiles = resources.importBucket.arnForObjects(`${IMPORT_FILES.pipelinePrefix}*`);
  const fn = new PipelineFunction(scope, 'WriteSuppressions', {
    handler: 'write-suppressions',
    description: 'Puts addresses on the SES account-level suppression list (single calls for a trickle, import jobs for a flood), and takes them off when a temporary suppression ends; one run at a time',
    roleDescription: 'write-suppressions: put addresses on the SES suppression list and take temporary ones off (single calls or import jobs)',
    memorySizeInMb: SUPPRESSION_WRITER.memorySizeInMb,
    timeout: SUPPRESSION_WRITER.timeout,
    statements: [
      new iam.PolicyStatement({
        sid: 'SuppressAddresses',
        actions: ['ses:PutSuppressedDestination', 'ses:DeleteSuppressedDestination', 'ses:CreateImportJob'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({ sid: 'FollowImportJobs', actions: ['ses:GetImportJob'], resources: [importJobs] }),
      new iam.PolicyStatement({ sid: 'WriteImportFiles', actions: ['s3:PutObject', 's3:GetObject'], resources: [pipelineFiles] }),
      new iam.PolicyStatement({ sid: 'EncryptImportFiles', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [resources.importBucketKey.keyArn] }),
      new iam.PolicyStatement({
        sid: 'SuppressionLedger',
        // Batch reads and writes of the ledger, the expiry schedule's query, the run lease, and the conditional writes of a removal.
        actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [resources.table.tableArn],
      }),
      new iam.PolicyStatement({
        sid: 'FollowJobsAndParkRejected',
        actions: ['sqs:SendMessage'],
        resources: [resources.suppressionQueue.queueArn, resources.suppressionDeadLetterQueue.queueArn],
      }),
    ],
    environment: suppressionWriterEnvironment({
      ...defaultSuppressionWriterSettings({
        tableName: resources.table.tableName,
        deadLetterQueueUrl: resources.suppressionDeadLetterQueue.queueUrl,
        suppressionQueueUrl: resources.suppressionQueue.queueUrl,
        importBucketName: resources.importBucket.bucketName,
        eventBusName: resources.suppressionEventBus.eventBusName,
      }),
      importThreshold: config.importThreshold,
      maxReceiveCount: config.maxReceiveCount,
      // Longer than any run: one that Lambda ends holding it has surely stopped when it lapses.
      leaseSeconds: writerLeaseSeconds(SUPPRESSION_WRITER.timeout.toSeconds()),
      temporarySuppressionSeconds: config.softBounceSuppressionPeriod.toSeconds(),
      eventRetentionInDays: config.eventRetention.toDays(),
    }),
  });
  resources.suppressionEventBus.grantPutEventsTo(fn.role);
  // The tick goes through the writer's own queue, so it is read, retried and parked like any of its
  // messages. It runs with a period of 0 too: a temporary suppression from before is then kept for good when it comes due.
  new events.Rule(scope, 'ExpireSuppressionsSchedule', {
    description: 'Asks the suppression writer to take temporary suppressions (soft bounces escalated) off the list once they end',
    schedule: events.Schedule.rate(SUPPRESSION_WRITER.expiryTickInterval),
    targets: [new eventTargets.SqsQueue(resources.suppressionQueue, { message: events.RuleTargetInput.fromObject({ type: 'expire' } satisfies SuppressionMessage) })],
  });
  fn.consumeQueue(resources.suppressionQueue, {
    batchSize: SUPPRESSION_WRITER.batchSize,
    maxBatchingWindow: config.suppressionBatchingWindow,
    maxConcurrency: SUPPRESSION_WRITER.maxConcurrency,
  });
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ses:PutSuppressedDestination, ses:DeleteSuppressedDestination and ses:CreateImportJob act on the account-level suppression list and have no required resource type (AWS service authorization reference: only an optional tenant); the statement allows those three actions only.',
  });
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:import-job/*]',
    reason: 'SES assigns each import job its ID when the writer creates it; ses:GetImportJob is scoped to import jobs of this account and region.',
  });
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(resources.importBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${IMPORT_FILES.pipelinePrefix}*]`,
    reason: 'Each import file has a new random key; the writer may read and write only under imports/pipeline/ of its own bucket.',
  });
  return fn;
}

/** Reads the account's enforcement status and reputation on a schedule, keeps snapshots, alerts on a change. */
export function watchReputationFunction(
  scope: Construct,
  resources: Pick<FunctionResources, 'table' | 'alertTopic' | 'alertTopicKey'>,
  config: ResolvedProps,
): PipelineFunction {
  const fn = new PipelineFunction(scope, 'WatchReputation', {
    handler: 'watch-reputation',
    description: 'Reads the SES account enforcement status and reputation rates, keeps a snapshot, alerts when the status changes',
    roleDescription: 'watch-reputation: read the SES account enforcement status and reputation, keep snapshots, alert on a change',
    memorySizeInMb: REPUTATION_WATCHER.memorySizeInMb,
    timeout: REPUTATION_WATCHER.timeout,
    statements: [
      new iam.PolicyStatement({ sid: 'ReadAccountAndReputation', actions: ['ses:GetAccount', 'cloudwatch:GetMetricData'], resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'KeepSnapshots', actions: ['dynamodb:Query', 'dynamodb:PutItem'], resources: [resources.table.tableArn] }),
      // Publish to the encrypted alert topic: sns:Publish plus the two key actions SNS needs (no wildcard).
      new iam.PolicyStatement({ sid: 'Alert', actions: ['sns:Publish'], resources: [resources.alertTopic.topicArn] }),
      new iam.PolicyStatement({ sid: 'AlertTopicKey', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [resources.alertTopicKey.keyArn] }),
    ],
    environment: reputationWatcherEnvironment({
      tableName: resources.table.tableName,
      alertTopicArn: resources.alertTopic.topicArn,
      snapshotRetentionInDays: config.eventRetention.toDays(),
    }),
  });
  new events.Rule(scope, 'WatchReputationSchedule', {
    description: 'Runs the reputation watcher',
    schedule: events.Schedule.rate(config.reputationWatchInterval),
    targets: [new eventTargets.LambdaFunction(fn, { retryAttempts: 2 })],
  });
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ses:GetAccount and cloudwatch:GetMetricData have no resource-level permissions (AWS service authorization reference); the statement allows those two read actions only.',
  });
  return fn;
}
