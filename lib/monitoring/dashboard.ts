import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { PIPELINE_METRICS } from '../../lambdas/shared/contract.js';
import { AWS_ENFORCEMENT_LINES, type RateThresholds } from '../../lambdas/shared/settings.js';
import type { ResolvedProps } from '../pipeline-props.js';
import type { PipelineParts } from './alarms.js';
import { percent, processingCountOverAllSets, sesReputationBySet, sesReputationMetric, writerCountMetric, type ReputationMetricName } from './metrics.js';

/** What the dashboard draws besides the pipeline's own metrics. */
export interface DashboardContent extends Pick<PipelineParts, 'queue' | 'deadLetterQueue' | 'suppressionQueue' | 'suppressionDeadLetterQueue'> {
  readonly alarms: cloudwatch.IAlarm[];
}

/**
 * The pipeline's dashboard, created in the given scope as `Dashboard`: reputation rates against the
 * alarm thresholds and AWS's own lines, feedback by class, suppressions, queue health and every alarm.
 */
export function pipelineDashboard(
  scope: Construct,
  content: DashboardContent,
  config: Pick<ResolvedProps, 'bounceRateThresholds' | 'complaintRateThresholds'>,
): cloudwatch.Dashboard {
  const rateWidget = (title: string, metricName: ReputationMetricName, thresholds: RateThresholds, aws: { review: number; pause: number }): cloudwatch.GraphWidget =>
    new cloudwatch.GraphWidget({
      title,
      width: 12,
      left: [sesReputationMetric(metricName).with({ label: 'account' }), sesReputationBySet(metricName)],
      leftAnnotations: [
        { value: thresholds.warning, label: `warning ${percent(thresholds.warning)}`, color: '#ff7f0e' },
        { value: thresholds.critical, label: `critical ${percent(thresholds.critical)}`, color: '#d62728' },
        { value: aws.pause, label: `AWS may pause ${percent(aws.pause)}`, color: '#7f0000' },
      ],
      leftYAxis: { min: 0 },
    });
  const { names } = PIPELINE_METRICS;
  return new cloudwatch.Dashboard(scope, 'Dashboard', {
    defaultInterval: Duration.days(7),
    widgets: [
      [
        rateWidget('Bounce rate (SES reputation)', 'Reputation.BounceRate', config.bounceRateThresholds, AWS_ENFORCEMENT_LINES.bounceRate),
        rateWidget('Complaint rate (SES reputation)', 'Reputation.ComplaintRate', config.complaintRateThresholds, AWS_ENFORCEMENT_LINES.complaintRate),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Feedback events by class',
          width: 12,
          stacked: true,
          left: (['hardBounces', 'softBounces', 'complaints', 'providerBlocks'] as const).map((key) => processingCountOverAllSets(names[key])),
        }),
        new cloudwatch.GraphWidget({
          title: 'Suppressions and duplicates',
          width: 12,
          left: [
            processingCountOverAllSets(names.suppressionRequests),
            ...(['suppressions', 'suppressionsSkipped', 'suppressionsRejected'] as const).map((key) => writerCountMetric(names[key])),
            processingCountOverAllSets(names.duplicates),
            processingCountOverAllSets(names.malformed),
          ],
          right: [writerCountMetric(names.importJobs)],
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Queue health',
          width: 12,
          left: [
            content.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'feedback dead letters', statistic: 'Maximum' }),
            content.suppressionDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'suppression dead letters', statistic: 'Maximum' }),
          ],
          right: [
            content.queue.metricApproximateAgeOfOldestMessage({ label: 'oldest feedback (s)', statistic: 'Maximum' }),
            content.suppressionQueue.metricApproximateAgeOfOldestMessage({ label: 'oldest suppression request (s)', statistic: 'Maximum' }),
          ],
        }),
        new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: content.alarms }),
      ],
    ],
  });
}
