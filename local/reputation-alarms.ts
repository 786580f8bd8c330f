import { CONFIGURATION_SET_DIMENSION, configurationSetName, configurationSetNamePrefix, DEFAULT_STACK_NAME, PAUSABLE_TAG_KEY } from '../lambdas/shared/contract.js';
import type { GuardedAlarm, GuardrailSettings } from '../lambdas/pause-sending/guardrail.js';
import { DEFAULT_SETTINGS, defaultPausableSets } from '../lambdas/shared/settings.js';
import type { LocalAlarm } from './cloudwatch.js';

/**
 * The reputation alarms of a default deploy, played locally: warning and critical, bounce and
 * complaint, account-wide and over every configuration set (one alarm, a contributor per set), with
 * the stack's default thresholds; and the guardrail settings the stack would give the
 * pause-sending function for them. Eight alarms, however many sets there are.
 */
export function localReputationAlarms(): LocalAlarm[] {
  // Named as a reader would look for them: `<stack>-Account-...` and `<stack>-ConfigurationSets-...`.
  return (['Account', 'ConfigurationSets'] as const).flatMap((label) =>
    (['warning', 'critical'] as const).flatMap((severity) =>
      (['BounceRate', 'ComplaintRate'] as const).map((metric) => ({
        name: `${DEFAULT_STACK_NAME}-${label}-${metric}-${severity}`,
        state: 'OK' as const,
        metricName: `Reputation.${metric}`,
        threshold: (metric === 'BounceRate' ? DEFAULT_SETTINGS.bounceRateThresholds : DEFAULT_SETTINGS.complaintRateThresholds)[severity],
        ...(label === 'ConfigurationSets' ? { contributors: new Map<string, 'OK' | 'ALARM'>() } : {}),
      })),
    ),
  );
}

/** What the stack's guardrail is told of its alarms, for the local alarms. */
export function localGuardrailSettings(): GuardrailSettings {
  return {
    alarms: localReputationAlarms()
      .filter((a) => a.name.endsWith('-critical'))
      .map((a): GuardedAlarm => ({
        alarmName: a.name,
        metric: a.metricName === 'Reputation.BounceRate' ? 'bounce' : 'complaint',
        threshold: a.threshold,
        scope: a.contributors === undefined ? 'account' : 'per-set',
      })),
    pausableTag: { key: PAUSABLE_TAG_KEY, value: DEFAULT_STACK_NAME },
    existingPausable: [],
  };
}

/** The configuration sets a deploy with these managed sets creates, by SES name, with the tags the stack gives them. */
export function localConfigurationSets(managedShortNames: readonly string[]): Map<string, { sendingEnabled: boolean; tags: Record<string, string> }> {
  const pausable = defaultPausableSets(managedShortNames);
  return new Map(
    managedShortNames.map((short): [string, { sendingEnabled: boolean; tags: Record<string, string> }] => [
      configurationSetName(configurationSetNamePrefix(DEFAULT_STACK_NAME), short),
      { sendingEnabled: true, tags: pausable.includes(short) ? { [PAUSABLE_TAG_KEY]: DEFAULT_STACK_NAME } : {} },
    ]),
  );
}

/**
 * CloudWatch's "CloudWatch Alarm Contributor State Change" event for one configuration set of a
 * per-set alarm that crossed its threshold: the set is in the contributor's attributes.
 */
export function contributorStateChangeEvent(alarm: LocalAlarm, configurationSet: string, value: number, at: Date, region: string, account: string): unknown {
  const event = alarmStateChangeEvent(alarm, 'OK', value, at, region, account) as { detail: { alarmName: string } } & Record<string, unknown>;
  // AWS's documented contributor event: no previousState, no reasonData; the datapoint is in the reason.
  return {
    ...event,
    id: `local-${alarm.name}-${configurationSet}-${at.getTime()}`,
    'detail-type': 'CloudWatch Alarm Contributor State Change',
    detail: {
      alarmName: event.detail.alarmName,
      alarmContributor: { id: `local-${configurationSet}`, attributes: { [CONFIGURATION_SET_DIMENSION]: configurationSet } },
      state: {
        value: 'ALARM',
        reason: `Threshold Crossed: 1 datapoint was greater than or equal to the threshold (${alarm.threshold}). The most recent datapoint which crossed the threshold: [${value} (local)].`,
        timestamp: at.toISOString().replace('Z', '+0000'),
      },
    },
  };
}

/**
 * CloudWatch's "CloudWatch Alarm State Change" event for an alarm that crossed its threshold, in
 * the shape AWS documents (reasonData carries the evaluated datapoint).
 */
export function alarmStateChangeEvent(alarm: LocalAlarm, previous: string, value: number, at: Date, region: string, account: string): unknown {
  const timestamp = at.toISOString().replace('Z', '+0000');
  return {
    version: '0',
    id: `local-${alarm.name}-${at.getTime()}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${alarm.name}`],
    detail: {
      alarmName: alarm.name,
      previousState: { value: previous, reason: 'local pipeline', timestamp },
      state: {
        value: alarm.state,
        reason: `Threshold Crossed: 1 out of the last 1 datapoints [${value}] was greater than or equal to the threshold (${alarm.threshold}).`,
        reasonData: JSON.stringify({ version: '1.0', queryDate: timestamp, statistic: 'Maximum', period: 900, recentDatapoints: [value], threshold: alarm.threshold }),
        timestamp,
      },
    },
  };
}
