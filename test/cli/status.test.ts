import type { CloudWatchClient, DescribeAlarmsCommandOutput } from '@aws-sdk/client-cloudwatch';
import { readAlarms } from '../../cli/alarms.js';
import { formatStatus, type Status } from '../../cli/status-command.js';
import type { Target } from '../../cli/target.js';
import { AWS_ENFORCEMENT_LINES, DEFAULT_SETTINGS } from '../../lambdas/shared/settings.js';

/** A deployed target whose CloudWatch answers DescribeAlarms with these alarms. */
function targetWith(alarms: NonNullable<DescribeAlarmsCommandOutput['MetricAlarms']>): Target {
  const cloudwatch = { send: async () => ({ MetricAlarms: alarms }) } as unknown as CloudWatchClient;
  return { kind: 'deployed', has: (service: string) => service === 'cloudwatch', client: () => cloudwatch, alarmNames: alarms.map((a) => a.AlarmName ?? '') } as unknown as Target;
}

describe('status: alarms', () => {
  it('names an alarm on a Metrics Insights query by its label, and a metric alarm by its metric and dimension', async () => {
    const alarms = await readAlarms(
      targetWith([
        {
          AlarmName: 'Pipeline-ProviderBlocks',
          Metrics: [{ Id: 'expr_1', Expression: 'SELECT SUM(ProviderBlocks) FROM SCHEMA("SesFeedbackPipeline", ConfigurationSet, service)', Label: 'ProviderBlocks', ReturnData: true }],
          Threshold: 25,
          StateValue: 'ALARM',
        },
        { AlarmName: 'Pipeline-BounceRate', MetricName: 'Reputation.BounceRate', Dimensions: [{ Name: 'ses:configuration-set', Value: 'marketing' }], Threshold: 0.05, StateValue: 'OK' },
      ]),
    );
    // ALARM first.
    expect(alarms).toEqual([
      { name: 'Pipeline-ProviderBlocks', state: 'ALARM', metric: 'ProviderBlocks', threshold: 25 },
      { name: 'Pipeline-BounceRate', state: 'OK', metric: 'Reputation.BounceRate (marketing)', threshold: 0.05 },
    ]);
  });
});

describe('status: the human form', () => {
  const status = (providerBlocksByDomain: Status['last24Hours']['providerBlocksByDomain']): Status => ({
    target: { kind: 'local', name: 'local' },
    account: { enforcementStatus: 'HEALTHY', sendingEnabled: true, productionAccess: true, suppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    reputation: { bounceRate: null, complaintRate: null, thresholds: { bounce: DEFAULT_SETTINGS.bounceRateThresholds, complaint: DEFAULT_SETTINGS.complaintRateThresholds }, aws: AWS_ENFORCEMENT_LINES },
    alarms: [],
    pausedSets: [],
    deadLetters: { feedback: 0, suppressions: 0 },
    last24Hours: {
      events: 12,
      hardBounces: 2,
      softBounces: 1,
      complaints: 0,
      providerBlocks: providerBlocksByDomain.reduce((sum, d) => sum + d.blocks, 0),
      providerBlocksByDomain,
      suppressions: 2,
      operatorRemovals: 0,
      suppressionsEnded: 0,
    },
  });

  it('lists the most blocked recipient domains and points to the runbook', () => {
    const text = formatStatus(status([{ domain: 'gmail.example', blocks: 8 }, { domain: 'other.example', blocks: 1 }]));
    expect(text).toContain('Last 24 h       12 events: 2 hard bounces, 1 soft bounces, 0 complaints, 9 provider blocks; 2 suppressions; 0 temporary suppressions ended; 0 operator removals');
    expect(text).toContain("Provider blocks gmail.example 8, other.example 1  <-- a provider refuses the sender (5.7.x): see the ProviderBlocks alarm's runbook; those readers were not suppressed");
  });

  it('prints no provider-block line when there were none', () => {
    expect(formatStatus(status([]))).not.toContain('Provider blocks ');
  });
});
