import { ArnFormat, Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { configurationSetName, FEEDBACK_TABLE, IMPORT_FILES, type PipelineMetricName } from '../lambdas/shared/contract.js';
import { eventSourceVisibilityTimeout, PROCESSING, QUEUE_RETENTION, SUPPRESSION_WRITER } from './defaults.js';
import { processFeedbackFunction, watchReputationFunction, writeSuppressionsFunction } from './feedback-functions.js';
import { subscribeToFeedbackTopics } from './feedback-subscriptions.js';
import { deployLimitsValidation } from './deploy-limits.js';
import { guardrail, pausableTag } from './guardrail.js';
import type { PipelineFunction } from './pipeline-function.js';
import { AlarmFactory, pipelineHealthAlarms, reputationAlarms } from './monitoring/alarms.js';
import { pipelineDashboard } from './monitoring/dashboard.js';
import { processingCountMetric, sesReputationMetric, writerCountMetric } from './monitoring/metrics.js';
import { resolveProps, type ResolvedProps, type SesFeedbackPipelineProps } from './pipeline-props.js';

export { feedbackTopicSubscribePolicy, type FeedbackTopicSubscribePolicyProps } from './feedback-subscriptions.js';
export type { Severity } from './monitoring/alarms.js';
export type { SesFeedbackPipelineProps } from './pipeline-props.js';

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
  /**
   * The feedback queue's dead letters: records that could not be processed, malformed (with a
   * reason attribute) or failed maxReceiveCount times. `ses-feedback dead-letters redrive` moves
   * them back to {@link queue}.
   */
  public readonly deadLetterQueue: sqs.Queue;
  /**
   * The suppression queue's dead letters: requests the writer could not complete (SES refused an
   * address for good, with a reason attribute) or that failed maxReceiveCount times.
   * `ses-feedback dead-letters redrive` moves them back to {@link suppressionQueue}.
   */
  public readonly suppressionDeadLetterQueue: sqs.Queue;
  /** The audit trail and per-address state. */
  public readonly table: dynamodb.Table;
  /** The processing function. */
  public readonly processFeedback: nodejs.NodejsFunction;
  /** The suppression writer's one queue: addresses to suppress, looks at import jobs (delayed), ticks, operator requests. */
  public readonly suppressionQueue: sqs.Queue;
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
  /**
   * The guardrail's function: pauses a pausable configuration set when its critical reputation
   * alarm goes to ALARM. Undefined when no set is pausable.
   */
  public readonly pauseSending?: PipelineFunction;
  /** Every alarm this construct creates. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly feedbackDestinations: ses.CfnConfigurationSetEventDestination[] = [];

  public constructor(scope: Construct, id: string, props: SesFeedbackPipelineProps = {}) {
    super(scope, id);
    const config = resolveProps(props, Stack.of(this).stackName);
    this.node.addValidation(
      deployLimitsValidation(this, () => ({
        managed: config.managedConfigurationSetNames.length,
        existing: config.existingConfigurationSetNames.length,
        existingPausable: config.pausableConfigurationSetNames.filter((name) => config.existingConfigurationSetNames.includes(name)).length,
      })),
    );

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

    // A dead-letter queue per source queue, so a redrive returns every message, whether SQS moved
    // it there or a function parked it, to the one queue it came from. The feedback queue's keeps
    // the construct ID of the one queue there was (and so its messages).
    this.deadLetterQueue = this.createDeadLetterQueue('DeadLetterQueue');
    this.suppressionDeadLetterQueue = this.createDeadLetterQueue('SuppressionDeadLetterQueue');
    this.queue = this.createSourceQueue('Queue', eventSourceVisibilityTimeout(PROCESSING.timeout, PROCESSING.maxBatchingWindow), this.deadLetterQueue, config);
    this.feedbackTopic.addSubscription(new subscriptions.SqsSubscription(this.queue));
    // Identity notification topics, in this account and region or another (the topic owner's side: docs/deploy.md).
    subscribeToFeedbackTopics(this.queue, config.additionalFeedbackTopics);

    this.configurationSetNames = Object.fromEntries(config.managedConfigurationSetNames.map((short) => [short, configurationSetName(config.configurationSetNamePrefix, short)]));
    this.configurationSets = Object.fromEntries(
      Object.entries(this.configurationSetNames).map(([short, name]) => {
        // Keyed by the short name: the construct ID (and logical ID) does not depend on the prefix.
        // No sending status: the template does not own it, the guardrail does (SES starts a new set
        // sending; a deploy must never turn a paused one back on, see guardrail.ts).
        const set = new ses.ConfigurationSet(this, `ConfigurationSet-${short}`, {
          configurationSetName: name,
          reputationMetrics: true,
          suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        });
        // The guardrail may pause a set only while it carries this tag (its role's condition).
        if (config.pausableConfigurationSetNames.includes(short)) {
          const tag = pausableTag(this);
          Tags.of(set).add(tag.key, tag.value, { includeResourceTypes: ['AWS::SES::ConfigurationSet'] });
        }
        this.addFeedbackDestination(set, 'Feedback', set.configurationSetName, config);
        return [short, set];
      }),
    );
    for (const name of config.existingConfigurationSetNames) this.addFeedbackDestination(this, `ExistingConfigurationSet-${name}-Feedback`, name, config);
    // One statement for every set, not one per set (as aws-cdk-lib's EventDestination.snsTopic adds):
    // the topic policy stays within SNS's size limit with hundreds of sets.
    const stack = Stack.of(this);
    const publish = this.feedbackTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSESToPublishFeedback',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.feedbackTopic.topicArn],
        conditions: {
          StringEquals: {
            'AWS:SourceAccount': stack.account,
            'AWS:SourceArn': [...Object.values(this.configurationSetNames), ...config.existingConfigurationSetNames].map((name) =>
              stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: name }),
            ),
          },
        },
      }),
    );
    // SES checks that it may publish when the destination is created.
    for (const destination of this.feedbackDestinations) if (publish.policyDependable) destination.node.addDependency(publish.policyDependable);

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

    this.suppressionQueue = this.createSourceQueue(
      'SuppressionQueue',
      eventSourceVisibilityTimeout(SUPPRESSION_WRITER.timeout, config.suppressionBatchingWindow),
      this.suppressionDeadLetterQueue,
      config,
    );
    this.importBucket = this.createImportBucket(config);
    this.suppressionEventBus = props.suppressionEventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    this.processFeedback = processFeedbackFunction(this, this, config);
    this.writeSuppressions = writeSuppressionsFunction(this, this, config);
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
    this.watchReputation = watchReputationFunction(this, this, config);

    const alarms = new AlarmFactory(this, this.alertTopic);
    const reputation = reputationAlarms(alarms, config);
    this.alarms.push(...reputation.map((r) => r.alarm), ...pipelineHealthAlarms(alarms, this, config));
    const guard = guardrail(this, this, reputation, alarms, config);
    if (guard) this.alarms.push(guard.errorsAlarm);
    this.pauseSending = guard?.function;
    this.dashboard = pipelineDashboard(this, this, config);
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
    return processingCountMetric(name, configurationSetName, props);
  }

  /** A count the suppression writer publishes (suppressions, skipped, rejected, import jobs). */
  public metricWriter(name: PipelineMetricName, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return writerCountMetric(name, props);
  }

  /**
   * The event destination that sends a set's feedback to the topic. The L1 resource, under the ID
   * (and so the logical ID) aws-cdk-lib's L2 gave it: the topic policy's statement is added once
   * for every set, not once per destination.
   */
  private addFeedbackDestination(scope: Construct, id: string, configurationSetName: string, config: ResolvedProps): void {
    this.feedbackDestinations.push(
      new ses.CfnConfigurationSetEventDestination(new Construct(scope, id), 'Resource', {
        configurationSetName,
        eventDestination: { name: 'ses-feedback-pipeline', enabled: true, matchingEventTypes: config.eventTypes, snsDestination: { topicArn: this.feedbackTopic.topicArn } },
      }),
    );
  }

  /** A rotating customer-managed key whose policy lets one AWS service use it (besides the account's own IAM policies). */
  private createKey(id: string, description: string, removalPolicy: RemovalPolicy, service: { sid: string; service: string; actions: string[] }): kms.Key {
    const key = new kms.Key(this, id, { description, enableKeyRotation: true, removalPolicy });
    key.addToResourcePolicy(
      new iam.PolicyStatement({ sid: service.sid, principals: [new iam.ServicePrincipal(service.service)], actions: service.actions, resources: ['*'] }),
    );
    return key;
  }

  /** A dead-letter queue: encrypted, TLS only, kept longer than its source queue. */
  private createDeadLetterQueue(id: string): sqs.Queue {
    return new sqs.Queue(this, id, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: QUEUE_RETENTION.deadLetter });
  }

  /** A queue that feeds a function: encrypted, TLS only, kept shorter than the dead-letter queue of its own it moves messages to. */
  private createSourceQueue(id: string, visibilityTimeout: Duration, deadLetterQueue: sqs.IQueue, config: ResolvedProps): sqs.Queue {
    return new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      retentionPeriod: QUEUE_RETENTION.source,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: config.maxReceiveCount },
    });
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
        resources: [bucket.arnForObjects(`${IMPORT_FILES.prefix}*`)],
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
}
