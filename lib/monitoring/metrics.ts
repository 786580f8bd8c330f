import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { PIPELINE_METRICS, type PipelineMetricName } from '../../lambdas/shared/contract.js';

/** SES's reputation rates, as fractions. */
export type ReputationMetricName = 'Reputation.BounceRate' | 'Reputation.ComplaintRate';

/** SES's reputation rate, account-wide or for one configuration set (by its SES name). */
export function sesReputationMetric(metricName: ReputationMetricName, configurationSetName?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/SES',
    metricName,
    dimensionsMap: configurationSetName === undefined ? undefined : { 'ses:configuration-set': configurationSetName },
    // The highest rate seen in the period: the earliest warning.
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.minutes(15),
    ...props,
  });
}

/** A count the processing function publishes for one configuration set (`none`: no configuration set). */
export function processingCountMetric(name: PipelineMetricName, configurationSetName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: PIPELINE_METRICS.namespace,
    metricName: name,
    dimensionsMap: {
      service: PIPELINE_METRICS.serviceName,
      [PIPELINE_METRICS.configurationSetDimension]: configurationSetName,
    },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    ...props,
  });
}

/** A processing count summed over the given configuration sets. */
export function processingCountOverSets(name: PipelineMetricName, configurationSetNames: string[]): cloudwatch.MathExpression {
  const id = (i: number): string => `${name.toLowerCase()}${i}`;
  return new cloudwatch.MathExpression({
    expression: configurationSetNames.map((_, i) => id(i)).join(' + '),
    usingMetrics: Object.fromEntries(configurationSetNames.map((set, i) => [id(i), processingCountMetric(name, set)])),
    label: name,
    period: Duration.minutes(5),
  });
}

/**
 * Provider blocks of every configuration set in 15 minutes, summed by a Metrics Insights query.
 *
 * The query also counts sets named after deployment; a math expression over one metric per set
 * would also hit an alarm's limit of 10 metrics.
 */
export function providerBlocksOverAllSets(): cloudwatch.MathExpression {
  const { namespace, configurationSetDimension, names } = PIPELINE_METRICS;
  return new cloudwatch.MathExpression({
    expression: `SELECT SUM(${names.providerBlocks}) FROM SCHEMA("${namespace}", ${configurationSetDimension}, service)`,
    label: names.providerBlocks,
    period: Duration.minutes(15),
  });
}

/** A count the suppression writer publishes (suppressions, skipped, rejected, import jobs). */
export function writerCountMetric(name: PipelineMetricName, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: PIPELINE_METRICS.namespace,
    metricName: name,
    dimensionsMap: { service: PIPELINE_METRICS.serviceName, [PIPELINE_METRICS.writerDimension.name]: PIPELINE_METRICS.writerDimension.value },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    label: name,
    ...props,
  });
}

/** 1 while the account is under review, paused or cannot send, as the reputation watcher read it each run. */
export function accountUnhealthyMetric(watchInterval: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: PIPELINE_METRICS.namespace,
    metricName: PIPELINE_METRICS.names.accountUnhealthy,
    dimensionsMap: { service: PIPELINE_METRICS.serviceName, [PIPELINE_METRICS.watcherDimension.name]: PIPELINE_METRICS.watcherDimension.value },
    statistic: 'Maximum',
    period: watchInterval,
  });
}

/** A rate as alarms and the dashboard write it: `0.0008` is `0.08 %`. */
export function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))} %`;
}
