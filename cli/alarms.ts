import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { chunk } from '../lambdas/shared/suppression.js';
import type { Target } from './target.js';

/** One of the stack's alarms, as `status` and the report show it. */
export interface StackAlarm {
  readonly name: string;
  readonly state: string;
  /** The metric and its first dimension's value, or the label of the returned expression. */
  readonly metric: string;
  readonly threshold: number | null;
}

/** The stack's alarms with their states, by name (DescribeAlarms, 100 names a call); none on a target without CloudWatch. */
export async function readAlarms(target: Target): Promise<StackAlarm[]> {
  if (!target.has('cloudwatch') || target.alarmNames.length === 0) return [];
  const cloudwatch = target.client('cloudwatch', CloudWatchClient);
  const alarms: StackAlarm[] = [];
  for (const names of chunk(target.alarmNames, 100)) {
    const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names, MaxRecords: 100 }));
    for (const a of MetricAlarms) {
      const dimension = a.Dimensions?.[0]?.Value;
      // An alarm on a query or expression has no metric name: its returned expression's label names it.
      const metric = a.MetricName ?? a.Metrics?.find((m) => m.ReturnData)?.Label ?? '?';
      alarms.push({ name: a.AlarmName ?? '', state: a.StateValue ?? 'UNKNOWN', metric: `${metric}${dimension ? ` (${dimension})` : ''}`, threshold: a.Threshold ?? null });
    }
  }
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

