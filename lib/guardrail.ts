import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { PAUSABLE_TAG_KEY, PROBATION_CHECK_EVENT, pauseSendingEnvironment } from '../lambdas/shared/contract.js';
import type { GuardrailSettings } from '../lambdas/pause-sending/guardrail.js';
import { PAUSE_SENDING_SETTINGS } from '../lambdas/shared/settings.js';
import { failedAfterRetries, type AlarmFactory, type ReputationAlarm } from './monitoring/alarms.js';
import { PipelineFunction } from './pipeline-function.js';
import type { ResolvedProps } from './pipeline-props.js';

/** What the guardrail records to, alerts on and announces to. */
export interface GuardrailResources {
  readonly table: dynamodb.ITable;
  readonly alertTopic: sns.ITopic;
  readonly alertTopicKey: kms.IKey;
  readonly suppressionEventBus: events.IEventBus;
}

/**
 * The guardrail: an EventBridge rule on CloudWatch's own state-change events of the critical
 * reputation alarms (to ALARM only: the account-wide alarms' changes and the per-set alarm's
 * contributor changes), into a small function that pauses the pausable configuration sets the
 * change names (every pausable set for an account-wide alarm), records and announces it.
 *
 * Nothing here grows with the number of sets: the rule names four alarms; a set is pausable when
 * it carries the tag {@link PAUSABLE_TAG_KEY} with the stack's name (the construct tags the managed
 * sets it may pause), and the role may switch the sending of tagged sets only. Existing sets, which
 * the stack cannot tag, are named in the function's settings and the role's policy.
 *
 * @returns the function and the alarm on its errors, or undefined when no set is pausable (nothing to pause, nothing created)
 */
export function guardrail(
  scope: Construct,
  resources: GuardrailResources,
  alarms: readonly ReputationAlarm[],
  factory: AlarmFactory,
  config: Pick<ResolvedProps, 'pausableConfigurationSetNames' | 'existingConfigurationSetNames' | 'eventRetention'>,
): { readonly function: PipelineFunction; readonly errorsAlarm: cloudwatch.Alarm } | undefined {
  if (config.pausableConfigurationSetNames.length === 0) return undefined;
  const existingPausable = config.pausableConfigurationSetNames.filter((name) => config.existingConfigurationSetNames.includes(name));
  const guarded = alarms.filter((a) => a.severity === 'critical');
  const stack = Stack.of(scope);
  const settings: GuardrailSettings = {
    alarms: guarded.map((a) => ({ alarmName: a.alarm.alarmName, metric: a.metric, threshold: a.threshold, scope: a.scope })),
    pausableTag: pausableTag(scope),
    existingPausable,
  };
  const anySet = stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: '*' });
  const fn = new PipelineFunction(scope, 'PauseSending', {
    handler: 'pause-sending',
    description: 'Guardrail: pauses a configuration set whose critical reputation alarm went to ALARM, records and announces it',
    roleDescription: 'pause-sending: switch off the sending of the pausable configuration sets, record it, alert and announce it',
    memorySizeInMb: PAUSE_SENDING_SETTINGS.memorySizeInMb,
    timeout: Duration.seconds(PAUSE_SENDING_SETTINGS.timeoutInSeconds),
    statements: [
      // To learn which sets exist (account-wide alarm) and whether each is pausable (its tags) and sending.
      new iam.PolicyStatement({ sid: 'ReadConfigurationSets', actions: ['ses:ListConfigurationSets', 'ses:GetConfigurationSet'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'PausePausableSets',
        actions: ['ses:PutConfigurationSetSendingOptions'],
        resources: [anySet],
        conditions: { StringEquals: { [`aws:ResourceTag/${PAUSABLE_TAG_KEY}`]: settings.pausableTag.value } },
      }),
      ...(existingPausable.length === 0
        ? []
        : [
            new iam.PolicyStatement({
              sid: 'PauseExistingPausableSets',
              actions: ['ses:PutConfigurationSetSendingOptions'],
              resources: existingPausable.map((name) => stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: name })),
            }),
          ]),
      // Query: whether a set found paused has its pause recorded (a run cut short records it on the retry),
      // and the sets on probation; DeleteItem: a probation that ended.
      new iam.PolicyStatement({ sid: 'RecordPauses', actions: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem'], resources: [resources.table.tableArn] }),
      // A set on probation is judged on its own rates since the resume (GetMetricData has no resource type).
      new iam.PolicyStatement({ sid: 'ReadSetRates', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'Alert', actions: ['sns:Publish'], resources: [resources.alertTopic.topicArn] }),
      new iam.PolicyStatement({ sid: 'AlertTopicKey', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [resources.alertTopicKey.keyArn] }),
    ],
    environment: pauseSendingEnvironment({
      tableName: resources.table.tableName,
      alertTopicArn: resources.alertTopic.topicArn,
      eventBusName: resources.suppressionEventBus.eventBusName,
      retentionInDays: config.eventRetention.toDays(),
      // The alarm names are resolved by CloudFormation: the JSON is built with them in place.
      settingsJson: stack.toJsonString(settings),
    }),
  });
  resources.suppressionEventBus.grantPutEventsTo(fn.role);
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ses:ListConfigurationSets and cloudwatch:GetMetricData have no resource type; ses:GetConfigurationSet reads any set\'s tags and sending switch, because a per-set alarm names any set of the account and only the set itself says whether it is pausable. All three read only.',
  });
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/*]',
    reason: `ses:PutConfigurationSetSendingOptions only on sets tagged ${PAUSABLE_TAG_KEY}=<this stack's name> (aws:ResourceTag condition): the sets this stack made pausable, however many.`,
  });
  new events.Rule(scope, 'PauseSendingRule', {
    description: 'Guardrail: critical reputation alarms (or one of their configuration sets) that go to ALARM',
    eventPattern: {
      source: ['aws.cloudwatch'],
      detailType: ['CloudWatch Alarm State Change', 'CloudWatch Alarm Contributor State Change'],
      detail: { alarmName: guarded.map((a) => a.alarm.alarmName), state: { value: ['ALARM'] } },
    },
    targets: [new eventTargets.LambdaFunction(fn, { retryAttempts: PAUSE_SENDING_SETTINGS.retryAttempts })],
  });
  // A deploy must never resume a paused set. The template does not set the sets' sending status,
  // and should CloudFormation's handler re-apply SES's default (sending) to a set it updates, the
  // guardrail switches the sets it recorded paused off again as soon as the stack's update (or its
  // rollback) has finished.
  new events.Rule(scope, 'ReapplyPausesRule', {
    description: 'Guardrail: after a deploy of this stack, the sets it paused are paused again if the deploy turned them on',
    eventPattern: {
      source: ['aws.cloudformation'],
      detailType: ['CloudFormation Stack Status Change'],
      detail: { 'stack-id': [stack.stackId], 'status-details': { status: [...REDEPLOY_FINISHED] } },
    },
    targets: [new eventTargets.LambdaFunction(fn, { retryAttempts: PAUSE_SENDING_SETTINGS.retryAttempts })],
  });
  // Each failed attempt already alerts with the set and the manual command; Lambda retries it twice.
  // The alarm says the guardrail gave up: no retry is left.
  // A set resumed on probation is judged on its own rates since the resume (probation.ts).
  new events.Rule(scope, 'ProbationCheckSchedule', {
    description: 'Guardrail: judge the configuration sets resumed on probation on their rates since the resume',
    schedule: events.Schedule.rate(Duration.minutes(PAUSE_SENDING_SETTINGS.probationCheckIntervalInMinutes)),
    targets: [new eventTargets.LambdaFunction(fn, { event: events.RuleTargetInput.fromObject(PROBATION_CHECK_EVENT), retryAttempts: PAUSE_SENDING_SETTINGS.retryAttempts })],
  });
  const errorsAlarm = factory.addAlarm('PauseSendingErrors', failedAfterRetries(fn), 1, {
    description:
      'The guardrail gave up on an alarm or a deploy after Lambda\'s retries (AsyncEventsDropped): a set it should pause may still be sending (each failed attempt alerted with the set). ' +
      'Pause the set by hand: aws sesv2 put-configuration-set-sending-options --configuration-set-name <set> --no-sending-enabled; then read the function\'s logs.',
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { function: fn, errorsAlarm };
}

/** The stack statuses that end a deploy which may have updated the configuration sets. */
export const REDEPLOY_FINISHED = ['UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE'] as const;

/** The tag that makes a configuration set pausable by this stack's guardrail: the stack's name under {@link PAUSABLE_TAG_KEY}. */
export function pausableTag(scope: Construct): { readonly key: string; readonly value: string } {
  return { key: PAUSABLE_TAG_KEY, value: Stack.of(scope).stackName };
}
