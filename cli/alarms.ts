import { CloudWatchClient, DescribeAlarmContributorsCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CONFIGURATION_SET_DIMENSION } from '../lambdas/shared/contract.js';
import { chunk } from '../lambdas/shared/suppression.js';
import type { Target } from './target.js';

/** One of the stack's alarms, as `status` and the report show it. */
export interface StackAlarm {
  readonly name: string;
  readonly state: string;
  /** The metric and its first dimension's value, or the label of the returned expression. */
  readonly metric: string;
  readonly threshold: number | null;
  /** For an alarm with a contributor per configuration set (a Metrics Insights `GROUP BY` alarm): the sets in ALARM. */
  readonly setsInAlarm?: readonly string[];
}

/**
 * The stack's alarms with their states (DescribeAlarms, 100 names a call), ALARM first; for an
 * alarm over every configuration set, the sets in ALARM (DescribeAlarmContributors, which
 * returns only contributors in ALARM). None on a target without CloudWatch.
 */
export async function readAlarms(target: Target): Promise<StackAlarm[]> {
  if (!target.has('cloudwatch') || target.alarmNames.length === 0) return [];
  const cloudwatch = target.client('cloudwatch', CloudWatchClient);
  const alarms: StackAlarm[] = [];
  for (const names of chunk(target.alarmNames, 100)) {
    const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names, MaxRecords: 100 }));
    for (const a of MetricAlarms) {
      const dimension = a.Dimensions?.[0]?.Value;
      // An alarm on a query or expression has no metric name: its returned expression's label names it.
      const returned = a.Metrics?.find((m) => m.ReturnData !== false);
      const metric = a.MetricName ?? returned?.Label ?? '?';
      const perSet = returned?.Expression?.includes(`GROUP BY "${CONFIGURATION_SET_DIMENSION}"`) ?? false;
      const name = a.AlarmName ?? '';
      const state = a.StateValue ?? 'UNKNOWN';
      alarms.push({
        name,
        state,
        metric: `${metric}${dimension ? ` (${dimension})` : ''}`,
        threshold: a.Threshold ?? null,
        ...(perSet ? { setsInAlarm: state === 'ALARM' ? await setsInAlarm(cloudwatch, name) : [] } : {}),
      });
    }
  }
  const rank = (a: StackAlarm): number => (a.state === 'ALARM' ? 0 : 1);
  return alarms.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** The configuration sets of a per-set alarm's contributors in ALARM, by name. */
export async function setsInAlarm(cloudwatch: CloudWatchClient, alarmName: string): Promise<string[]> {
  const sets: string[] = [];
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(new DescribeAlarmContributorsCommand({ AlarmName: alarmName, NextToken: token }));
    for (const c of page.AlarmContributors ?? []) {
      const set = c.ContributorAttributes?.[CONFIGURATION_SET_DIMENSION];
      if (set !== undefined) sets.push(set);
    }
    token = page.NextToken;
  } while (token);
  return sets.sort();
}
