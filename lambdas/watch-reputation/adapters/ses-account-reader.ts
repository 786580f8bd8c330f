import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetAccountCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { AccountReader, AccountReading } from '../reputation-watcher.js';

/** How far back the latest reputation datapoint may be: SES publishes them irregularly, often hours apart. */
const REPUTATION_LOOKBACK_MS = 24 * 3600 * 1000;

/** {@link AccountReader} on SESv2 GetAccount and SES's account-level reputation metrics in CloudWatch. */
export class SesAccountReader implements AccountReader {
  public constructor(
    private readonly ses: SESv2Client,
    private readonly cloudwatch: CloudWatchClient,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  public async read(): Promise<AccountReading> {
    const [account, rates] = await Promise.all([this.ses.send(new GetAccountCommand({})), readReputationRates(this.cloudwatch, this.clock())]);
    return {
      enforcementStatus: account.EnforcementStatus ?? 'UNKNOWN',
      sendingEnabled: account.SendingEnabled ?? false,
      productionAccess: account.ProductionAccessEnabled ?? false,
      ...rates,
    };
  }
}

/** The latest account-wide `Reputation.BounceRate` and `Reputation.ComplaintRate` of the last 24 h (null: none). */
export async function readReputationRates(cloudwatch: CloudWatchClient, now: Date): Promise<{ bounceRate: number | null; complaintRate: number | null }> {
  const query = (id: string, metricName: string) => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/SES', MetricName: metricName }, Period: 900, Stat: 'Maximum' },
  });
  const { MetricDataResults = [] } = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - REPUTATION_LOOKBACK_MS),
      EndTime: now,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [query('bounce', 'Reputation.BounceRate'), query('complaint', 'Reputation.ComplaintRate')],
    }),
  );
  const latest = (id: string): number | null => MetricDataResults.find((r) => r.Id === id)?.Values?.[0] ?? null;
  return { bounceRate: latest('bounce'), complaintRate: latest('complaint') };
}
