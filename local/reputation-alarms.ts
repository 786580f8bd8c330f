import { DEFAULT_STACK_CONFIGURATION_SETS, DEFAULT_STACK_NAME } from '../lambdas/shared/contract.js';
import type { GuardedAlarm, GuardrailSettings } from '../lambdas/pause-sending/guardrail.js';
import { DEFAULT_SETTINGS, defaultPausableSets } from '../lambdas/shared/settings.js';
import type { LocalAlarm } from './cloudwatch.js';

/**
 * The reputation alarms of a default deploy, played locally: warning and critical, bounce and
 * complaint, account-wide and per managed set, with the stack's default thresholds; and the
 * guardrail settings the stack would give the pause-sending function for them.
 */
export function localReputationAlarms(): LocalAlarm[] {
  // Named as a reader would look for them: `<stack>-Account-...` and `<set's SES name>-...`.
  const scopes: Array<[string, string | undefined]> = [[`${DEFAULT_STACK_NAME}-Account`, undefined], ...Object.values(DEFAULT_STACK_CONFIGURATION_SETS).map((set): [string, string] => [set, set])];
  return scopes.flatMap(([label, configurationSet]) =>
    (['warning', 'critical'] as const).flatMap((severity) => [
      { name: `${label}-BounceRate-${severity}`, state: 'OK' as const, metricName: 'Reputation.BounceRate', threshold: DEFAULT_SETTINGS.bounceRateThresholds[severity], configurationSet },
      { name: `${label}-ComplaintRate-${severity}`, state: 'OK' as const, metricName: 'Reputation.ComplaintRate', threshold: DEFAULT_SETTINGS.complaintRateThresholds[severity], configurationSet },
    ]),
  );
}

/** What the stack's guardrail is told of its alarms and sets, for the local alarms. */
export function localGuardrailSettings(): GuardrailSettings {
  const critical = localReputationAlarms().filter((a) => a.name.endsWith('-critical'));
  const sets = DEFAULT_STACK_CONFIGURATION_SETS as Record<string, string>;
  return {
    alarms: critical.map((a): GuardedAlarm => ({
      alarmName: a.name,
      metric: a.metricName === 'Reputation.BounceRate' ? 'bounce' : 'complaint',
      threshold: a.threshold,
      ...(a.configurationSet === undefined ? {} : { configurationSet: a.configurationSet }),
    })),
    pausable: defaultPausableSets(Object.keys(sets)).map((short) => sets[short] ?? short),
    allSets: Object.values(sets),
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
