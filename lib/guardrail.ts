import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { pauseSendingEnvironment } from '../lambdas/shared/contract.js';
import type { GuardrailSettings } from '../lambdas/pause-sending/guardrail.js';
import { PAUSE_SENDING_SETTINGS } from '../lambdas/shared/settings.js';
import type { AlarmFactory, ReputationAlarm } from './monitoring/alarms.js';
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
 * The guardrail: an EventBridge rule on CloudWatch's own "CloudWatch Alarm State Change" events of
 * the critical reputation alarms (to ALARM only), into a small function that pauses the sending of
 * the pausable configuration sets the alarm watches (every pausable set for an account-wide alarm),
 * records and announces it. Its role may read and switch the sending options of those sets only.
 *
 * @returns the function and the alarm on its errors, or undefined when no set is pausable (nothing to pause, nothing created)
 */
export function guardrail(
  scope: Construct,
  resources: GuardrailResources,
  alarms: readonly ReputationAlarm[],
  managedSetNames: Readonly<Record<string, string>>,
  factory: AlarmFactory,
  config: Pick<ResolvedProps, 'pausableConfigurationSetNames' | 'existingConfigurationSetNames' | 'eventRetention'>,
): { readonly function: PipelineFunction; readonly errorsAlarm: cloudwatch.Alarm } | undefined {
  // By their SES names: a managed set's short name becomes its name; an existing set's is its own.
  const pausable = config.pausableConfigurationSetNames.map((name) => managedSetNames[name] ?? name);
  const allSets = [...Object.values(managedSetNames), ...config.existingConfigurationSetNames];
  if (pausable.length === 0) return undefined;
  // The critical alarms of pausable sets, and the account-wide ones (which pause every pausable set).
  const guarded = alarms.filter((a) => a.severity === 'critical' && (a.configurationSet === undefined || pausable.includes(a.configurationSet)));
  const stack = Stack.of(scope);
  const settings: GuardrailSettings = {
    alarms: guarded.map((a) => ({ alarmName: a.alarm.alarmName, metric: a.metric, threshold: a.threshold, ...(a.configurationSet === undefined ? {} : { configurationSet: a.configurationSet }) })),
    pausable,
    allSets,
  };
  const sets = pausable.map((name) => stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: name }));
  const fn = new PipelineFunction(scope, 'PauseSending', {
    handler: 'pause-sending',
    description: 'Guardrail: pauses a configuration set whose critical reputation alarm went to ALARM, records and announces it',
    roleDescription: 'pause-sending: switch off the sending of the pausable configuration sets, record it, alert and announce it',
    memorySizeInMb: PAUSE_SENDING_SETTINGS.memorySizeInMb,
    timeout: Duration.seconds(PAUSE_SENDING_SETTINGS.timeoutInSeconds),
    statements: [
      new iam.PolicyStatement({ sid: 'PausePausableSets', actions: ['ses:GetConfigurationSet', 'ses:PutConfigurationSetSendingOptions'], resources: sets }),
      new iam.PolicyStatement({ sid: 'RecordPauses', actions: ['dynamodb:PutItem'], resources: [resources.table.tableArn] }),
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
  new events.Rule(scope, 'PauseSendingRule', {
    description: 'Guardrail: critical reputation alarms that go to ALARM',
    eventPattern: {
      source: ['aws.cloudwatch'],
      detailType: ['CloudWatch Alarm State Change'],
      resources: guarded.map((a) => a.alarm.alarmArn),
      detail: { state: { value: ['ALARM'] } },
    },
    targets: [new eventTargets.LambdaFunction(fn, { retryAttempts: PAUSE_SENDING_SETTINGS.retryAttempts })],
  });
  const errorsAlarm = factory.addAlarm('PauseSendingErrors', fn.metricErrors({ statistic: 'Sum' }), 1, {
    description:
      'The guardrail failed to pause a configuration set (it alerts with the set and the manual command each time) or crashed. ' +
      'Pause the set by hand: aws sesv2 put-configuration-set-sending-options --configuration-set-name <set> --no-sending-enabled; then read the function\'s logs.',
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { function: fn, errorsAlarm };
}
