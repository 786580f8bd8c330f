import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CONFIGURATION_SET_DIMENSION } from '../../shared/contract.js';
import type { SetRates, SetReputation } from '../probation.js';

/**
 * {@link SetReputation} on CloudWatch: SES's `Reputation.BounceRate` and `Reputation.ComplaintRate`
 * for one configuration set (namespace `AWS/SES`, dimension `ses:configuration-set`), the newest
 * 15-minute Maximum since a moment.
 */
export class CloudWatchSetReputation implements SetReputation {
  public constructor(private readonly cloudwatch: CloudWatchClient) {}

  public async newest(configurationSet: string, since: Date, now: Date): Promise<SetRates> {
    const query = (id: string, metricName: string) => ({
      Id: id,
      MetricStat: { Metric: { Namespace: 'AWS/SES', MetricName: metricName, Dimensions: [{ Name: CONFIGURATION_SET_DIMENSION, Value: configurationSet }] }, Period: 900, Stat: 'Maximum' },
    });
    const { MetricDataResults = [] } = await this.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: since,
        EndTime: now,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [query('bounce', 'Reputation.BounceRate'), query('complaint', 'Reputation.ComplaintRate')],
      }),
    );
    const newest = (id: string) => {
      const result = MetricDataResults.find((r) => r.Id === id);
      const value = result?.Values?.[0];
      const at = result?.Timestamps?.[0];
      return value === undefined || at === undefined ? undefined : { value, at: new Date(at).toISOString() };
    };
    const bounce = newest('bounce');
    const complaint = newest('complaint');
    return { ...(bounce ? { bounce } : {}), ...(complaint ? { complaint } : {}) };
  }
}
