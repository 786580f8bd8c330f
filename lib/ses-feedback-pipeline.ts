import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FEEDBACK_TABLE, PIPELINE_METRICS, processFeedbackEnvironment, type PipelineMetricName } from '../lambdas/contract.js';
import { AWS_ENFORCEMENT_LINES, DEFAULTS, PROCESSING, type RateThresholds } from './defaults.js';

/** Properties of {@link SesFeedbackPipeline}; every one is optional. */
export interface SesFeedbackPipelineProps {
  /**
   * Configuration sets this construct creates, with reputation metrics on, account-level
   * suppression for bounces and complaints, and the feedback event destination.
   *
   * @default ['transactional', 'marketing']
   */
  readonly managedConfigurationSetNames?: string[];
  /**
   * Configuration sets that already exist in the account, by name; each gets the feedback event
   * destination (it must have fewer than 10 destinations already). Not alarmed per set: their
   * reputation metrics may be off.
   *
   * @default []
   */
  readonly existingConfigurationSetNames?: string[];
  /**
   * SES events sent to the pipeline. BOUNCE and COMPLAINT are required; add DELIVERY to reset the
   * soft-bounce count on a delivery (one more event, and one more DynamoDB write, per message sent).
   *
   * @default [BOUNCE, COMPLAINT, DELIVERY_DELAY, REJECT]
   */
  readonly eventTypes?: ses.EmailSendingEvent[];
  /**
   * Bounce-rate alarm thresholds (fractions), account-wide and per managed configuration set.
   *
   * @default { warning: 0.03, critical: 0.05 }
   */
  readonly bounceRateThresholds?: RateThresholds;
  /**
   * Complaint-rate alarm thresholds (fractions), account-wide and per managed configuration set.
   *
   * @default { warning: 0.0008, critical: 0.001 }
   */
  readonly complaintRateThresholds?: RateThresholds;
  /**
   * Email addresses subscribed to the alert topic (each must confirm the subscription).
   *
   * @default [] (alarms still go to the alert topic; subscribe to it as you like)
   */
  readonly alertEmails?: string[];
  /**
   * Consecutive soft bounces (no delivery in between) that suppress an address; 0 turns this off.
   *
   * @default 5
   */
  readonly softBounceThreshold?: number;
  /**
   * The soft bounces that count must fall within this window of the newest one.
   *
   * @default Duration.days(30)
   */
  readonly softBounceWindow?: Duration;
  /**
   * How long event records stay in the audit trail (DynamoDB TTL from the event time).
   *
   * @default Duration.days(365)
   */
  readonly eventRetention?: Duration;
  /**
   * What happens to the table and the key when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Existing SNS topics (identity feedback notifications) whose messages the pipeline also processes.
   * For an encrypted topic, its key must let SNS deliver to an SQS queue.
   *
   * @default []
   */
  readonly additionalFeedbackTopics?: sns.ITopic[];
  /**
   * The message tag that names a campaign; the audit trail indexes events by its value.
   *
   * @default 'campaign'
   */
  readonly campaignTagName?: string;
  /**
   * Receives of one message before it moves to the dead-letter queue.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/** Alarm severity. */
export type Severity = 'warning' | 'critical';

/**
 * SES feedback, end to end: configuration sets → SNS → SQS → Lambda → suppression list, audit
 * table, metrics, alarms and a dashboard.
 */
export class SesFeedbackPipeline extends Construct {
  /** KMS key of the feedback and alert topics (SES and CloudWatch may use it). */
  public readonly key: kms.Key;
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
  /** Every alarm publishes here. */
  public readonly alertTopic: sns.Topic;
  /** Managed configuration sets, by name. */
  public readonly configurationSets: Readonly<Record<string, ses.ConfigurationSet>>;
  /** Every alarm this construct creates. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: SesFeedbackPipelineProps = {}) {
    super(scope, id);
    const config = resolveProps(props);

    this.key = new kms.Key(this, 'Key', {
      description: 'SES feedback pipeline: feedback and alert topics',
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });
    // SES's documented statement for encrypted feedback topics; the topic policy carries the
    // confused-deputy conditions (aws:SourceAccount, aws:SourceArn).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSESToUseKMSKey',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );

    this.feedbackTopic = new sns.Topic(this, 'FeedbackTopic', {
      displayName: 'SES feedback (bounces, complaints)',
      masterKey: this.key,
      enforceSSL: true,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: PROCESSING.visibilityTimeout,
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.maxReceiveCount },
    });
    this.feedbackTopic.addSubscription(new subscriptions.SqsSubscription(this.queue));
    config.additionalFeedbackTopics.forEach((topic) => topic.addSubscription(new subscriptions.SqsSubscription(this.queue)));

    this.configurationSets = Object.fromEntries(
      config.managedConfigurationSetNames.map((name) => {
        const set = new ses.ConfigurationSet(this, `ConfigurationSet-${name}`, {
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
        return [name, set];
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
    for (const index of Object.values(FEEDBACK_TABLE.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: FEEDBACK_TABLE.timeSortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.processFeedback = this.createProcessFeedbackFunction(config);
    this.alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: 'SES feedback pipeline alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    config.alertEmails.forEach((email) => this.alertTopic.addSubscription(new subscriptions.EmailSubscription(email)));

    this.createReputationAlarms(config);
    this.createPipelineAlarms();
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

  private createProcessFeedbackFunction(config: ResolvedProps): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, 'ProcessFeedbackLogs', {
      retention: PROCESSING.logRetentionInDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own rather than AWSLambdaBasicExecutionRole: it may write only its own log group.
    const role = new iam.Role(this, 'ProcessFeedbackRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'process-feedback: suppress addresses, write the feedback table, park bad records',
    });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SuppressAddresses',
        actions: ['ses:PutSuppressedDestination'],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteFeedbackTable',
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
        resources: [this.table.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ParkBadRecords',
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );

    const fn = new nodejs.NodejsFunction(this, 'ProcessFeedback', {
      description: 'Classifies SES bounces and complaints, suppresses, records and counts them',
      entry: path.join(__dirname, '..', 'lambdas', 'handlers', 'process-feedback.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: PROCESSING.memorySizeInMb,
      timeout: PROCESSING.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ...processFeedbackEnvironment({
          tableName: this.table.tableName,
          deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
          softBounceThreshold: config.softBounceThreshold,
          softBounceWindowInDays: config.softBounceWindow.toDays(),
          eventRetentionInDays: config.eventRetention.toDays(),
          campaignTagName: config.campaignTagName,
          suppressionLeaseInSeconds: PROCESSING.suppressionLease.toSeconds(),
          sesRequestsPerSecond: PROCESSING.sesAccountRequestsPerSecond / PROCESSING.maxConcurrency,
          sdkRetryMode: PROCESSING.sdkRetryMode,
          sdkMaxAttempts: PROCESSING.sdkMaxAttempts,
        }),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
      },
    });
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: PROCESSING.batchSize,
        maxBatchingWindow: PROCESSING.maxBatchingWindow,
        maxConcurrency: PROCESSING.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ses:PutSuppressedDestination has no resource-level permissions (the account-level suppression list is not an ARN resource); the statement allows that one action only.',
    });
    return fn;
  }

  private createReputationAlarms(config: ResolvedProps): void {
    const scopes: Array<[label: string, configurationSetName: string | undefined]> = [
      ['Account', undefined],
      ...config.managedConfigurationSetNames.map((name): [string, string] => [`ConfigurationSet-${name}`, name]),
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

  private createPipelineAlarms(): void {
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
    const sets = [...config.managedConfigurationSetNames, ...config.existingConfigurationSetNames, PIPELINE_METRICS.noConfigurationSet];
    const rateWidget = (
      title: string,
      metric: (name?: string) => cloudwatch.Metric,
      thresholds: RateThresholds,
      aws: { review: number; pause: number },
    ): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({
        title,
        width: 12,
        left: [metric(), ...config.managedConfigurationSetNames.map((name) => metric(name).with({ label: name }))],
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
            left: (['hardBounces', 'softBounces', 'complaints'] as const).map((key) => countsBy(PIPELINE_METRICS.names[key])),
          }),
          new cloudwatch.GraphWidget({
            title: 'Suppressions and duplicates',
            width: 12,
            left: [countsBy(PIPELINE_METRICS.names.suppressions), countsBy(PIPELINE_METRICS.names.duplicates), countsBy(PIPELINE_METRICS.names.malformed)],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Queue health',
            width: 12,
            left: [this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'DLQ depth', statistic: 'Maximum' })],
            right: [this.queue.metricApproximateAgeOfOldestMessage({ label: 'oldest message (s)', statistic: 'Maximum' })],
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: this.alarms }),
        ],
      ],
    });
  }
}

type ResolvedProps = Required<Omit<SesFeedbackPipelineProps, 'eventTypes'>> & { eventTypes: ses.EmailSendingEvent[] };

const CONFIGURATION_SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Applies defaults (user values win) and validates early, with the bad value in the message. */
function resolveProps(props: SesFeedbackPipelineProps): ResolvedProps {
  const config: ResolvedProps = {
    managedConfigurationSetNames: props.managedConfigurationSetNames ?? [...DEFAULTS.managedConfigurationSetNames],
    existingConfigurationSetNames: props.existingConfigurationSetNames ?? [...DEFAULTS.existingConfigurationSetNames],
    eventTypes: props.eventTypes ?? [...DEFAULTS.eventTypes],
    bounceRateThresholds: props.bounceRateThresholds ?? DEFAULTS.bounceRateThresholds,
    complaintRateThresholds: props.complaintRateThresholds ?? DEFAULTS.complaintRateThresholds,
    alertEmails: props.alertEmails ?? [...DEFAULTS.alertEmails],
    softBounceThreshold: props.softBounceThreshold ?? DEFAULTS.softBounceThreshold,
    softBounceWindow: props.softBounceWindow ?? DEFAULTS.softBounceWindow,
    eventRetention: props.eventRetention ?? DEFAULTS.eventRetention,
    removalPolicy: props.removalPolicy ?? DEFAULTS.removalPolicy,
    additionalFeedbackTopics: props.additionalFeedbackTopics ?? [],
    campaignTagName: props.campaignTagName ?? DEFAULTS.campaignTagName,
    maxReceiveCount: props.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
  };
  const names = [...config.managedConfigurationSetNames, ...config.existingConfigurationSetNames];
  for (const name of names) {
    if (!Token.isUnresolved(name) && !CONFIGURATION_SET_NAME.test(name)) {
      throw new Error(`configuration set name must be 1-64 letters, digits, '_' or '-', got '${name}'`);
    }
  }
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new Error(`configuration set '${duplicate}' is named twice`);
  for (const required of [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT]) {
    if (!config.eventTypes.includes(required)) {
      throw new Error(`eventTypes must include ${required}, got [${config.eventTypes.join(', ')}]`);
    }
  }
  for (const [label, t] of [['bounce', config.bounceRateThresholds], ['complaint', config.complaintRateThresholds]] as const) {
    if (!(t.warning > 0 && t.warning < t.critical && t.critical < 1)) {
      throw new Error(`${label} rate thresholds must satisfy 0 < warning < critical < 1 (fractions), got warning ${t.warning}, critical ${t.critical}`);
    }
  }
  if (!Number.isInteger(config.softBounceThreshold) || config.softBounceThreshold < 0) {
    throw new Error(`softBounceThreshold must be a whole number >= 0, got ${config.softBounceThreshold}`);
  }
  if (config.softBounceWindow.toHours() < 24) {
    throw new Error(`softBounceWindow must be at least 1 day, got ${config.softBounceWindow.toHumanString()}`);
  }
  if (config.eventRetention.toDays() < 1) {
    throw new Error(`eventRetention must be at least 1 day, got ${config.eventRetention.toHumanString()}`);
  }
  if (!Number.isInteger(config.maxReceiveCount) || config.maxReceiveCount < 1 || config.maxReceiveCount > 1000) {
    throw new Error(`maxReceiveCount must be a whole number from 1 to 1000, got ${config.maxReceiveCount}`);
  }
  for (const email of config.alertEmails) {
    if (!Token.isUnresolved(email) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      throw new Error(`alert email is not an email address: '${email}'`);
    }
  }
  return config;
}

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
