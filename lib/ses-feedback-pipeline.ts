import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  configurationSetName,
  FEEDBACK_TABLE,
  PIPELINE_METRICS,
  processFeedbackEnvironment,
  reputationWatcherEnvironment,
  suppressionWriterEnvironment,
  type PipelineMetricName,
} from '../lambdas/contract.js';
import {
  AWS_ENFORCEMENT_LINES,
  eventSourceVisibilityTimeout,
  PROCESSING,
  QUEUE_RETENTION,
  REPUTATION_WATCHER,
  SUPPRESSION_WRITER,
  type RateThresholds,
} from './defaults.js';
import { PipelineFunction } from './pipeline-function.js';
import { resolveProps, type ResolvedProps, type SesFeedbackPipelineProps } from './pipeline-props.js';

export type { SesFeedbackPipelineProps } from './pipeline-props.js';

/** Alarm severity. */
export type Severity = 'warning' | 'critical';

/**
 * SES feedback, end to end: configuration sets → SNS → SQS → Lambda → suppression list, audit
 * table, metrics, alarms and a dashboard.
 */
export class SesFeedbackPipeline extends Construct {
  /** KMS key of the feedback topic: SES may use it to publish. */
  public readonly feedbackTopicKey: kms.Key;
  /** KMS key of the alert topic: CloudWatch alarms and the reputation watcher may use it to publish. */
  public readonly alertTopicKey: kms.Key;
  /** KMS key of the import bucket: SES may decrypt the import files with it. */
  public readonly importBucketKey: kms.Key;
  /** SNS topic the configuration sets publish feedback to. */
  public readonly feedbackTopic: sns.Topic;
  /** SQS queue the processing function reads. */
  public readonly queue: sqs.Queue;
  /** Records that could not be processed: malformed (with a reason attribute) or failed maxReceiveCount times. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The audit trail and per-address state. */
  public readonly table: dynamodb.Table;
  /** The processing function. */
  public readonly processFeedback: nodejs.NodejsFunction;
  /** Addresses to suppress, and import jobs to follow, for the suppression writer. */
  public readonly suppressionQueue: sqs.Queue;
  /** The writer's next looks at running import jobs (delayed messages). */
  public readonly importJobQueue: sqs.Queue;
  /** Files of suppression-list import jobs (SES reads them; KMS-encrypted with {@link importBucketKey}). */
  public readonly importBucket: s3.Bucket;
  /** The function that puts addresses on the SES suppression list (single calls or import jobs). */
  public readonly writeSuppressions: nodejs.NodejsFunction;
  /** Receives an "Address Suppressed" event per address the pipeline put on the suppression list. */
  public readonly suppressionEventBus: events.IEventBus;
  /** Reads the account's enforcement status on a schedule, keeps snapshots, alerts on a change. */
  public readonly watchReputation: nodejs.NodejsFunction;
  /** Every alarm publishes here. */
  public readonly alertTopic: sns.Topic;
  /** Managed configuration sets, by short name. */
  public readonly configurationSets: Readonly<Record<string, ses.ConfigurationSet>>;
  /** The SES name of each managed configuration set, by short name: send with these. */
  public readonly configurationSetNames: Readonly<Record<string, string>>;
  /** Every alarm this construct creates. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: SesFeedbackPipelineProps = {}) {
    super(scope, id);
    const config = resolveProps(props, Stack.of(this).stackName);

    // One key per purpose, each with the one statement AWS documents for the service that uses it.
    // The import bucket's key keeps the construct ID `Key`: it is the only key with data at rest
    // (import files), so a stack deployed with one shared key keeps its key, and the files encrypted
    // with it stay readable, instead of having a retained key replaced.
    this.importBucketKey = this.createKey('Key', 'SES feedback pipeline: suppression-list import files', config.removalPolicy, {
      // SES's documented statement for a KMS-encrypted import file: decrypt only, no condition.
      sid: 'AllowSESToDecryptImportFiles',
      service: 'ses.amazonaws.com',
      actions: ['kms:Decrypt'],
    });
    this.feedbackTopicKey = this.createKey('FeedbackTopicKey', 'SES feedback pipeline: feedback topic', config.removalPolicy, {
      // SES's documented statement for an encrypted feedback topic (no condition documented; the
      // topic policy carries SourceAccount and SourceArn). SNS decrypts before it delivers to the
      // queue (SQS-managed encryption), so no function needs this key.
      sid: 'AllowSESToUseKMSKey',
      service: 'ses.amazonaws.com',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    });

    this.feedbackTopic = new sns.Topic(this, 'FeedbackTopic', {
      displayName: 'SES feedback (bounces, complaints)',
      masterKey: this.feedbackTopicKey,
      enforceSSL: true,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION.deadLetter,
    });
    this.queue = this.createSourceQueue('Queue', eventSourceVisibilityTimeout(PROCESSING.timeout, PROCESSING.maxBatchingWindow), config);
    this.feedbackTopic.addSubscription(new subscriptions.SqsSubscription(this.queue));
    config.additionalFeedbackTopics.forEach((topic) => topic.addSubscription(new subscriptions.SqsSubscription(this.queue)));

    this.configurationSetNames = Object.fromEntries(config.managedConfigurationSetNames.map((short) => [short, configurationSetName(config.configurationSetNamePrefix, short)]));
    this.configurationSets = Object.fromEntries(
      Object.entries(this.configurationSetNames).map(([short, name]) => {
        // Keyed by the short name: the construct ID (and logical ID) does not depend on the prefix.
        const set = new ses.ConfigurationSet(this, `ConfigurationSet-${short}`, {
          configurationSetName: name,
          reputationMetrics: true,
          sendingEnabled: true,
          suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        });
        set.addEventDestination('Feedback', {
          configurationSetEventDestinationName: 'ses-feedback-pipeline',
          destination: ses.EventDestination.snsTopic(this.feedbackTopic),
          events: config.eventTypes,
        });
        return [short, set];
      }),
    );
    for (const name of config.existingConfigurationSetNames) {
      new ses.ConfigurationSetEventDestination(this, `ExistingConfigurationSet-${name}-Feedback`, {
        configurationSet: ses.ConfigurationSet.fromConfigurationSetName(this, `ExistingConfigurationSet-${name}`, name),
        configurationSetEventDestinationName: 'ses-feedback-pipeline',
        destination: ses.EventDestination.snsTopic(this.feedbackTopic),
        events: config.eventTypes,
      });
    }

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: FEEDBACK_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: FEEDBACK_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: FEEDBACK_TABLE.timeToLiveAttribute,
      removalPolicy: config.removalPolicy,
      deletionProtection: config.removalPolicy === RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: FEEDBACK_TABLE.timeIndex.indexName,
      partitionKey: { name: FEEDBACK_TABLE.timeIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: FEEDBACK_TABLE.timeSortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...FEEDBACK_TABLE.timeIndex.projectedAttributes],
    });

    this.suppressionQueue = this.createSourceQueue('SuppressionQueue', eventSourceVisibilityTimeout(SUPPRESSION_WRITER.timeout, config.suppressionBatchingWindow), config);
    this.importJobQueue = this.createSourceQueue('ImportJobQueue', eventSourceVisibilityTimeout(SUPPRESSION_WRITER.timeout), config);
    this.importBucket = this.createImportBucket(config);
    this.suppressionEventBus = props.suppressionEventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    this.processFeedback = this.createProcessFeedbackFunction(config);
    this.writeSuppressions = this.createWriteSuppressionsFunction(config);
    this.alertTopicKey = this.createKey('AlertTopicKey', 'SES feedback pipeline: alert topic', config.removalPolicy, {
      // The statement AWS documents for CloudWatch alarms publishing to an encrypted topic, which
      // has no condition: AWS documents aws:SourceAccount and aws:SourceArn for CloudWatch only in
      // the topic policy (below), and an undocumented condition that CloudWatch does not send would
      // silence every alarm. This key encrypts nothing but this topic, whose policy admits only
      // this account's alarms.
      sid: 'AllowCloudWatchAlarmsToPublish',
      service: 'cloudwatch.amazonaws.com',
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
    });
    this.alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: 'SES feedback pipeline alerts',
      masterKey: this.alertTopicKey,
      enforceSSL: true,
    });
    // enforceSSL replaces SNS's default topic policy, and an alarm's SnsAction adds no statement:
    // without this one, no alarm could publish. AWS's documented statement for CloudWatch alarms,
    // with its confused-deputy conditions.
    const stack = Stack.of(this);
    this.alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    config.alertEmails.forEach((email) => this.alertTopic.addSubscription(new subscriptions.EmailSubscription(email)));
    this.watchReputation = this.createWatchReputationFunction(config);

    this.createReputationAlarms(config);
    this.createPipelineAlarms(config);
    this.dashboard = this.createDashboard(config);
  }

  /** SES's reputation bounce rate (fraction), account-wide or for one configuration set. */
  public metricBounceRate(configurationSetName?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return sesReputationMetric('Reputation.BounceRate', configurationSetName, props);
  }

  /** SES's reputation complaint rate (fraction), account-wide or for one configuration set. */
  public metricComplaintRate(configurationSetName?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return sesReputationMetric('Reputation.ComplaintRate', configurationSetName, props);
  }

  /**
   * A count the processing function publishes (events, hard/soft bounces, complaints,
   * suppressions, duplicates, malformed), for one configuration set (`none`: no configuration set).
   */
  public metricPipeline(name: PipelineMetricName, configurationSetName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: PIPELINE_METRICS.namespace,
      metricName: name,
      dimensionsMap: {
        service: PIPELINE_METRICS.serviceName,
        [PIPELINE_METRICS.configurationSetDimension]: configurationSetName,
      },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** A count the suppression writer publishes (suppressions, skipped, rejected, import jobs). */
  public metricWriter(name: PipelineMetricName, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: PIPELINE_METRICS.namespace,
      metricName: name,
      dimensionsMap: { service: PIPELINE_METRICS.serviceName, [PIPELINE_METRICS.writerDimension.name]: PIPELINE_METRICS.writerDimension.value },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      label: name,
      ...props,
    });
  }

  /** A rotating customer-managed key whose policy lets one AWS service use it (besides the account's own IAM policies). */
  private createKey(id: string, description: string, removalPolicy: RemovalPolicy, service: { sid: string; service: string; actions: string[] }): kms.Key {
    const key = new kms.Key(this, id, { description, enableKeyRotation: true, removalPolicy });
    key.addToResourcePolicy(
      new iam.PolicyStatement({ sid: service.sid, principals: [new iam.ServicePrincipal(service.service)], actions: service.actions, resources: ['*'] }),
    );
    return key;
  }

  /** A queue that feeds a function: encrypted, TLS only, kept shorter than the dead-letter queue it moves messages to. */
  private createSourceQueue(id: string, visibilityTimeout: Duration, config: ResolvedProps): sqs.Queue {
    return new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      retentionPeriod: QUEUE_RETENTION.source,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.maxReceiveCount },
    });
  }

  private createProcessFeedbackFunction(config: ResolvedProps): PipelineFunction {
    const fn = new PipelineFunction(this, 'ProcessFeedback', {
      handler: 'process-feedback',
      description: 'Classifies SES bounces and complaints, records and counts them, requests suppressions',
      roleDescription: 'process-feedback: write the feedback table, hand addresses to the suppression writer, park bad records',
      memorySizeInMb: PROCESSING.memorySizeInMb,
      timeout: PROCESSING.timeout,
      statements: [
        new iam.PolicyStatement({ sid: 'RequestSuppressions', actions: ['sqs:SendMessage'], resources: [this.suppressionQueue.queueArn] }),
        new iam.PolicyStatement({
          sid: 'WriteFeedbackTable',
          actions: ['dynamodb:PartiQLInsert', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
          resources: [this.table.tableArn],
        }),
        new iam.PolicyStatement({ sid: 'ParkBadRecords', actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
      ],
      environment: processFeedbackEnvironment({
        tableName: this.table.tableName,
        deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
        suppressionQueueUrl: this.suppressionQueue.queueUrl,
        softBounceThreshold: config.softBounceThreshold,
        softBounceWindowInDays: config.softBounceWindow.toDays(),
        eventRetentionInDays: config.eventRetention.toDays(),
        campaignTagName: config.campaignTagName,
        maxReceiveCount: config.maxReceiveCount,
        sdkRetryMode: PROCESSING.sdkRetryMode,
        sdkMaxAttempts: PROCESSING.sdkMaxAttempts,
      }),
    });
    fn.consumeQueue(this.queue, { batchSize: PROCESSING.batchSize, maxBatchingWindow: PROCESSING.maxBatchingWindow, maxConcurrency: PROCESSING.maxConcurrency });
    return fn;
  }

  private createImportBucket(config: ResolvedProps): s3.Bucket {
    const bucket = new s3.Bucket(this, 'ImportBucket', {
      encryption: s3.BucketEncryption.KMS,
      // SES can read import files only when they are encrypted with a customer-managed key.
      encryptionKey: this.importBucketKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: config.importFileRetention, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: config.removalPolicy,
      // A bucket with objects cannot be deleted: empty it first when the stack is to be destroyed.
      autoDeleteObjects: config.removalPolicy === RemovalPolicy.DESTROY,
    });
    // SES's documented bucket policy for suppression-list imports: read only, only for this account.
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSESToReadImportFiles',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(`${IMPORT_PREFIX}*`)],
        conditions: { StringEquals: { 'aws:Referer': Stack.of(this).account } },
      }),
    );
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds only short-lived import files that the writer and SES read once; every access is a CloudTrail management or data event if the account enables them. An access-log bucket would hold more copies of the addresses than the files themselves.',
    });
    return bucket;
  }

  private createWriteSuppressionsFunction(config: ResolvedProps): PipelineFunction {
    const importJobs = Stack.of(this).formatArn({ service: 'ses', resource: 'import-job', resourceName: '*' });
    const pipelineFiles = this.importBucket.arnForObjects(`${IMPORT_PREFIX}pipeline/*`);
    const fn = new PipelineFunction(this, 'WriteSuppressions', {
      handler: 'write-suppressions',
      description: 'Puts addresses on the SES account-level suppression list: single calls for a trickle, import jobs for a flood',
      roleDescription: 'write-suppressions: put addresses on the SES suppression list (single calls or import jobs)',
      memorySizeInMb: SUPPRESSION_WRITER.memorySizeInMb,
      timeout: SUPPRESSION_WRITER.timeout,
      statements: [
        new iam.PolicyStatement({ sid: 'SuppressAddresses', actions: ['ses:PutSuppressedDestination', 'ses:CreateImportJob'], resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'FollowImportJobs', actions: ['ses:GetImportJob'], resources: [importJobs] }),
        new iam.PolicyStatement({ sid: 'WriteImportFiles', actions: ['s3:PutObject', 's3:GetObject'], resources: [pipelineFiles] }),
        new iam.PolicyStatement({ sid: 'EncryptImportFiles', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.importBucketKey.keyArn] }),
        new iam.PolicyStatement({ sid: 'SuppressionLedger', actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'], resources: [this.table.tableArn] }),
        new iam.PolicyStatement({
          sid: 'FollowJobsAndParkRejected',
          actions: ['sqs:SendMessage'],
          resources: [this.suppressionQueue.queueArn, this.importJobQueue.queueArn, this.deadLetterQueue.queueArn],
        }),
      ],
      environment: suppressionWriterEnvironment({
        tableName: this.table.tableName,
        deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
        suppressionQueueUrl: this.suppressionQueue.queueUrl,
        importJobQueueUrl: this.importJobQueue.queueUrl,
        importBucketName: this.importBucket.bucketName,
        importThreshold: config.importThreshold,
        maxAttempts: SUPPRESSION_WRITER.maxAttempts,
        followInitialSeconds: SUPPRESSION_WRITER.followInitialDelay.toSeconds(),
        sesRequestsPerSecond: SUPPRESSION_WRITER.sesAccountRequestsPerSecond / (SUPPRESSION_WRITER.maxConcurrency * SUPPRESSION_WRITER.eventSources),
        eventBusName: this.suppressionEventBus.eventBusName,
        maxReceiveCount: config.maxReceiveCount,
        sdkRetryMode: PROCESSING.sdkRetryMode,
        sdkMaxAttempts: PROCESSING.sdkMaxAttempts,
      }),
    });
    this.suppressionEventBus.grantPutEventsTo(fn.role);
    fn.consumeQueue(this.suppressionQueue, {
      batchSize: SUPPRESSION_WRITER.batchSize,
      maxBatchingWindow: config.suppressionBatchingWindow,
      maxConcurrency: SUPPRESSION_WRITER.maxConcurrency,
    });
    fn.consumeQueue(this.importJobQueue, { batchSize: SUPPRESSION_WRITER.importJobBatchSize, maxConcurrency: SUPPRESSION_WRITER.maxConcurrency });
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ses:PutSuppressedDestination and ses:CreateImportJob act on the account-level suppression list and have no resource type (AWS service authorization reference); the statement allows those two actions only.',
    });
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:import-job/*]',
      reason: 'SES assigns each import job its ID when the writer creates it; ses:GetImportJob is scoped to import jobs of this account and region.',
    });
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.importBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${IMPORT_PREFIX}pipeline/*]`,
      reason: 'Each import file has a new random key; the writer may read and write only under imports/pipeline/ of its own bucket.',
    });
    return fn;
  }

  private createWatchReputationFunction(config: ResolvedProps): PipelineFunction {
    const fn = new PipelineFunction(this, 'WatchReputation', {
      handler: 'watch-reputation',
      description: 'Reads the SES account enforcement status and reputation rates, keeps a snapshot, alerts when the status changes',
      roleDescription: 'watch-reputation: read the SES account enforcement status and reputation, keep snapshots, alert on a change',
      memorySizeInMb: REPUTATION_WATCHER.memorySizeInMb,
      timeout: REPUTATION_WATCHER.timeout,
      statements: [
        new iam.PolicyStatement({ sid: 'ReadAccountAndReputation', actions: ['ses:GetAccount', 'cloudwatch:GetMetricData'], resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'KeepSnapshots', actions: ['dynamodb:Query', 'dynamodb:PutItem'], resources: [this.table.tableArn] }),
        // Publish to the encrypted alert topic: sns:Publish plus the two key actions SNS needs (no wildcard).
        new iam.PolicyStatement({ sid: 'Alert', actions: ['sns:Publish'], resources: [this.alertTopic.topicArn] }),
        new iam.PolicyStatement({ sid: 'AlertTopicKey', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.alertTopicKey.keyArn] }),
      ],
      environment: reputationWatcherEnvironment({
        tableName: this.table.tableName,
        alertTopicArn: this.alertTopic.topicArn,
        snapshotRetentionInDays: config.eventRetention.toDays(),
      }),
    });
    new events.Rule(this, 'WatchReputationSchedule', {
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

  private createReputationAlarms(config: ResolvedProps): void {
    const scopes: Array<[label: string, configurationSetName: string | undefined]> = [
      ['Account', undefined],
      // Alarm IDs keep the short name: their logical IDs do not depend on the prefix.
      ...Object.entries(this.configurationSetNames).map(([short, name]): [string, string] => [`ConfigurationSet-${short}`, name]),
    ];
    for (const [label, name] of scopes) {
      const where = name === undefined ? 'account-wide' : `configuration set ${name}`;
      for (const severity of ['warning', 'critical'] as const) {
        this.addAlarm(`${label}-BounceRate-${severity}`, this.metricBounceRate(name), config.bounceRateThresholds[severity], {
          description:
            `SES bounce rate (${where}) at or above ${percent(config.bounceRateThresholds[severity])} (${severity}). ` +
            'AWS reviews accounts at 5 % and may pause sending at 10 %. Find the list or campaign that bounces (dashboard, audit table), stop it, and clean the list.',
          // AWS's guidance for reputation alarms: missing data keeps the last state, never breaches.
          treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        });
        this.addAlarm(`${label}-ComplaintRate-${severity}`, this.metricComplaintRate(name), config.complaintRateThresholds[severity], {
          description:
            `SES complaint rate (${where}) at or above ${percent(config.complaintRateThresholds[severity])} (${severity}). ` +
            'AWS reviews accounts at 0.1 % and may pause sending at 0.5 %. Check opt-in, unsubscribe links and sending frequency of the campaign that draws complaints.',
          treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        });
      }
    }
  }

  private createPipelineAlarms(config: ResolvedProps): void {
    this.addAlarm('DeadLetterQueueNotEmpty', this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }), 1, {
      description:
        'Feedback records wait in the dead-letter queue: malformed (see the failureReason attribute) or failed 5 times. Inspect them, fix the cause, then redrive them to the queue.',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.addAlarm(
      'QueueOldestMessageAge',
      this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }),
      PROCESSING.oldestMessageAlarmAge.toSeconds(),
      {
        description: `Feedback has waited more than ${PROCESSING.oldestMessageAlarmAge.toMinutes()} minutes: suppression is falling behind. Check the function's errors and throttles, and SES TooManyRequests in its logs.`,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    this.addAlarm('ProcessFeedbackErrors', this.processFeedback.metricErrors({ statistic: 'Sum' }), 1, {
      description: 'The process-feedback function crashed or timed out (record-level failures are retried, not counted here). Read its logs.',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.addAlarm(
      'SuppressionQueueOldestMessageAge',
      this.suppressionQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }),
      SUPPRESSION_WRITER.oldestMessageAlarmAge.toSeconds(),
      {
        description: `Addresses have waited more than ${SUPPRESSION_WRITER.oldestMessageAlarmAge.toMinutes()} minutes to be suppressed. Check the write-suppressions function's errors and SES TooManyRequests in its logs.`,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    this.addAlarm(
      'AccountEnforcement',
      new cloudwatch.Metric({
        namespace: PIPELINE_METRICS.namespace,
        metricName: PIPELINE_METRICS.names.accountUnhealthy,
        dimensionsMap: { service: PIPELINE_METRICS.serviceName, [PIPELINE_METRICS.watcherDimension.name]: PIPELINE_METRICS.watcherDimension.value },
        statistic: 'Maximum',
        period: config.reputationWatchInterval,
      }),
      1,
      {
        description:
          'The SES account is under review (PROBATION), paused (SHUTDOWN) or has sending disabled, as the reputation watcher read it (GetAccount). ' +
          'Find the cause with `ses-feedback report`, stop that sending, and appeal with the report.',
        // Missing data means the watcher did not run: its Errors alarm covers that, not this one.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      },
    );
    this.addAlarm('WatchReputationErrors', this.watchReputation.metricErrors({ statistic: 'Sum', period: Duration.hours(1) }), 2, {
      description: 'The reputation watcher failed twice in an hour: enforcement changes may go unnoticed. Read its logs (GetAccount permission, throttling).',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const { namespace, configurationSetDimension, names } = PIPELINE_METRICS;
    this.addAlarm(
      'ProviderBlocks',
      // A Metrics Insights query sums every configuration set, those named later included; a math
      // expression over one metric per set would hit the 10-metric limit of alarms.
      new cloudwatch.MathExpression({
        expression: `SELECT SUM(${names.providerBlocks}) FROM SCHEMA("${namespace}", ${configurationSetDimension}, service)`,
        label: names.providerBlocks,
        period: Duration.minutes(15),
      }),
      config.providerBlockAlarmThreshold,
      {
        description:
          `Mailbox providers refused the sender ${config.providerBlockAlarmThreshold} or more times in 15 minutes (non-permanent bounces with a 5.7.x status: spam filtering, block lists, rate limits, DMARC). ` +
          'Those readers were not suppressed: the sender is the problem, not the addresses. Find the provider with `ses-feedback status` or the report\'s "Blocked by mailbox providers"; ' +
          'check the sending IPs and domain on public block lists and the SPF, DKIM and DMARC alignment of the From domain (5.7.26: unauthenticated); ' +
          'slow down sending to that provider; look at the campaign that was going out (list source, content, complaints).',
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    this.addAlarm('WriteSuppressionsErrors', this.writeSuppressions.metricErrors({ statistic: 'Sum' }), 1, {
      description: 'The write-suppressions function crashed or timed out; its batch is retried. Read its logs.',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private addAlarm(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    options: { description: string; treatMissingData: cloudwatch.TreatMissingData },
  ): void {
    const alarm = new cloudwatch.Alarm(this, `Alarm-${id}`, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: options.description,
      treatMissingData: options.treatMissingData,
    });
    const action = new cwActions.SnsAction(this.alertTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }

  private createDashboard(config: ResolvedProps): cloudwatch.Dashboard {
    const managed = Object.values(this.configurationSetNames);
    const sets = [...managed, ...config.existingConfigurationSetNames, PIPELINE_METRICS.noConfigurationSet];
    const rateWidget = (
      title: string,
      metric: (name?: string) => cloudwatch.Metric,
      thresholds: RateThresholds,
      aws: { review: number; pause: number },
    ): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({
        title,
        width: 12,
        left: [metric(), ...managed.map((name) => metric(name).with({ label: name }))],
        leftAnnotations: [
          { value: thresholds.warning, label: `warning ${percent(thresholds.warning)}`, color: '#ff7f0e' },
          { value: thresholds.critical, label: `critical ${percent(thresholds.critical)}`, color: '#d62728' },
          { value: aws.pause, label: `AWS may pause ${percent(aws.pause)}`, color: '#7f0000' },
        ],
        leftYAxis: { min: 0 },
      });
    const countsBy = (name: PipelineMetricName): cloudwatch.IMetric =>
      new cloudwatch.MathExpression({
        expression: sets.map((_, i) => `${name.toLowerCase()}${i}`).join(' + '),
        usingMetrics: Object.fromEntries(sets.map((set, i) => [`${name.toLowerCase()}${i}`, this.metricPipeline(name, set)])),
        label: name,
        period: Duration.minutes(5),
      });
    return new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          rateWidget('Bounce rate (SES reputation)', (n) => this.metricBounceRate(n), config.bounceRateThresholds, AWS_ENFORCEMENT_LINES.bounceRate),
          rateWidget('Complaint rate (SES reputation)', (n) => this.metricComplaintRate(n), config.complaintRateThresholds, AWS_ENFORCEMENT_LINES.complaintRate),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Feedback events by class',
            width: 12,
            stacked: true,
            left: (['hardBounces', 'softBounces', 'complaints', 'providerBlocks'] as const).map((key) => countsBy(PIPELINE_METRICS.names[key])),
          }),
          new cloudwatch.GraphWidget({
            title: 'Suppressions and duplicates',
            width: 12,
            left: [
              countsBy(PIPELINE_METRICS.names.suppressionRequests),
              ...(['suppressions', 'suppressionsSkipped', 'suppressionsRejected'] as const).map((key) => this.metricWriter(PIPELINE_METRICS.names[key])),
              countsBy(PIPELINE_METRICS.names.duplicates),
              countsBy(PIPELINE_METRICS.names.malformed),
            ],
            right: [this.metricWriter(PIPELINE_METRICS.names.importJobs)],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Queue health',
            width: 12,
            left: [this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'DLQ depth', statistic: 'Maximum' })],
            right: [
              this.queue.metricApproximateAgeOfOldestMessage({ label: 'oldest feedback (s)', statistic: 'Maximum' }),
              this.suppressionQueue.metricApproximateAgeOfOldestMessage({ label: 'oldest suppression request (s)', statistic: 'Maximum' }),
            ],
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: this.alarms }),
        ],
      ],
    });
  }
}

/** Import files live under this prefix: `pipeline/` for the writer, `operator/` for the CLI's imports. */
export const IMPORT_PREFIX = 'imports/';

function sesReputationMetric(metricName: string, configurationSetName: string | undefined, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/SES',
    metricName,
    dimensionsMap: configurationSetName === undefined ? undefined : { 'ses:configuration-set': configurationSetName },
    // The highest rate seen in the period: the earliest warning.
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.minutes(15),
    ...props,
  });
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))} %`;
}
