import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONFIGURATION_SET_DIMENSION } from '../lambdas/shared/contract.js';
import { LocalHttpService, readBody } from './http-service.js';

/** The latest account-wide reputation rates the endpoint reports (fractions); null: no data, as before any bounce. */
export interface ReputationRates {
  bounce: number | null;
  complaint: number | null;
}

/** One alarm of the local pipeline, as DescribeAlarms answers it. */
export interface LocalAlarm {
  readonly name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly metricName: string;
  readonly threshold: number;
  /**
   * For an alarm over every configuration set (the stack's Metrics Insights `GROUP BY` alarm): each
   * set's contributor state. A contributor is only ever OK or ALARM (CloudWatch's rule).
   */
  readonly contributors?: Map<string, 'OK' | 'ALARM'>;
}

/** The Metrics Insights query of a per-set alarm, as the stack writes it. */
export function perSetQuery(metricName: string): string {
  const dimension = `"${CONFIGURATION_SET_DIMENSION}"`;
  return `SELECT MAX("${metricName}") FROM SCHEMA("AWS/SES", ${dimension}) GROUP BY ${dimension} ORDER BY MAX() DESC`;
}

/**
 * A small CloudWatch endpoint for GetMetricData, DescribeAlarms and DescribeAlarmContributors, speaking the AWS JSON 1.0 wire
 * format the SDK uses (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`), so the real
 * clients talk to it (`AWS_ENDPOINT_URL_CLOUDWATCH`). GetMetricData answers each query whose Id is
 * `bounce` or `complaint` with {@link rates}, or, for a query with a `ses:configuration-set`
 * dimension, with that set's {@link setRates} (timestamped now: SES measured them since); DescribeAlarms and DescribeAlarmContributors answer from
 * {@link alarms}, which the local pipeline keeps as the stack's reputation alarms would be.
 */
export class LocalCloudWatch extends LocalHttpService {
  public readonly rates: ReputationRates = { bounce: null, complaint: null };
  /** Each configuration set's own latest rates (fractions), as SES's per-set `Reputation.*` metrics read. */
  public readonly setRates = new Map<string, { readonly bounce: number; readonly complaint: number }>();
  public readonly alarms = new Map<string, LocalAlarm>();

  protected fail(res: ServerResponse, error: unknown): void {
    reply(res, 500, { __type: 'InternalServiceFault', message: String(error) });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.headers['x-amz-target'] === 'GraniteServiceVersion20100801.DescribeAlarms') {
      const { AlarmNames } = JSON.parse(body) as { AlarmNames?: string[] };
      const alarms = [...this.alarms.values()].filter((a) => AlarmNames === undefined || AlarmNames.includes(a.name));
      return reply(res, 200, {
        MetricAlarms: alarms.map((a) => ({
          AlarmName: a.name,
          StateValue: a.state,
          Threshold: a.threshold,
          ...(a.contributors === undefined
            ? { Namespace: 'AWS/SES', MetricName: a.metricName, Dimensions: [] }
            : { Metrics: [{ Id: 'expr_1', Expression: perSetQuery(a.metricName), Label: `${a.metricName} by configuration set`, Period: 900, ReturnData: true }] }),
        })),
      });
    }
    if (req.headers['x-amz-target'] === 'GraniteServiceVersion20100801.DescribeAlarmContributors') {
      const { AlarmName } = JSON.parse(body) as { AlarmName?: string };
      const alarm = AlarmName === undefined ? undefined : this.alarms.get(AlarmName);
      if (!alarm) return reply(res, 400, { __type: 'ResourceNotFoundException', message: `alarm ${String(AlarmName)} not found` });
      // Only contributors in ALARM, as CloudWatch answers.
      const inAlarm = [...(alarm.contributors ?? new Map<string, string>())].filter(([, state]) => state === 'ALARM');
      return reply(res, 200, {
        AlarmContributors: inAlarm.map(([set], i) => ({ ContributorId: `c${i}`, ContributorAttributes: { [CONFIGURATION_SET_DIMENSION]: set }, StateReason: 'Threshold Crossed (local pipeline)' })),
      });
    }
    if (req.headers['x-amz-target'] !== 'GraniteServiceVersion20100801.GetMetricData') {
      return reply(res, 400, { __type: 'InvalidAction', message: `not supported here: ${String(req.headers['x-amz-target'])}` });
    }
    const { MetricDataQueries = [] } = JSON.parse(body) as {
      MetricDataQueries?: Array<{ Id: string; MetricStat?: { Metric?: { MetricName?: string; Dimensions?: Array<{ Name: string; Value: string }> } } }>;
    };
    const now = Date.now() / 1000;
    const results = MetricDataQueries.map(({ Id, MetricStat }) => {
      const set = MetricStat?.Metric?.Dimensions?.find((d) => d.Name === CONFIGURATION_SET_DIMENSION)?.Value;
      const ofSet = set === undefined ? undefined : this.setRates.get(set);
      const metric = MetricStat?.Metric?.MetricName === 'Reputation.ComplaintRate' ? 'complaint' : 'bounce';
      const value = set !== undefined ? (ofSet?.[metric] ?? null) : Id === 'bounce' ? this.rates.bounce : Id === 'complaint' ? this.rates.complaint : null;
      return { Id, Values: value === null ? [] : [value], Timestamps: value === null ? [] : [now], StatusCode: 'Complete' };
    });
    reply(res, 200, { MetricDataResults: results });
  }
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
}
