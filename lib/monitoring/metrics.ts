import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CONFIGURATION_SET_DIMENSION, PIPELINE_METRICS, type PipelineMetricName } from '../../lambdas/shared/contract.js';

/** SES's reputation rates, as fractions. */
export type ReputationMetricName = 'Reputation.BounceRate' | 'Reputation.ComplaintRate';

/** SES's reputation rate, account-wide or for one configuration set (by its SES name). */
export function sesReputationMetric(metricName: ReputationMetricName, configurationSetName?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/SES',
    metricName,
    dimensionsMap: configurationSetName === undefined ? undefined : { [CONFIGURATION_SET_DIMENSION]: configurationSetName },
    // The highest rate seen in the period: the earliest warning.
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.minutes(15),
    ...props,
  });
}

/**
 * SES's reputation rate of every configuration set of the account, one time series per set, by a
 * Metrics Insights query: an alarm on it has a contributor per set, and a graph a line per set.
 * SES publishes a set's rates only when its reputation metrics are enabled. A query reads the
 * last 3 hours and at most 500 series (the highest first: `ORDER BY ... DESC`).
 */
export function sesReputationBySet(metricName: ReputationMetricName, period = Duration.minutes(15)): cloudwatch.MathExpression {
  const dimension = `"${CONFIGURATION_SET_DIMENSION}"`;
  return new cloudwatch.MathExpression({
    expression: `SELECT MAX("${metricName}") FROM SCHEMA("AWS/SES", ${dimension}) GROUP BY ${dimension} ORDER BY MAX() DESC`,
    label: `${metricName} by configuration set`,
    period,
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

/**
 * A processing count summed over every configuration set, by a Metrics Insights query: it also
 * counts sets named after deployment, and costs one query however many sets there are (a math
 * expression over one metric per set would hit an alarm's limit of 10 metrics).
 */
export function processingCountOverAllSets(name: PipelineMetricName, period = Duration.minutes(5)): cloudwatch.MathExpression {
  const { namespace, configurationSetDimension } = PIPELINE_METRICS;
  return new cloudwatch.MathExpression({
    expression: `SELECT SUM(${name}) FROM SCHEMA("${namespace}", ${configurationSetDimension}, service)`,
    label: name,
    period,
  });
}

/** Provider blocks of every configuration set in 15 minutes. */
export function providerBlocksOverAllSets(): cloudwatch.MathExpression {
  return processingCountOverAllSets(PIPELINE_METRICS.names.providerBlocks, Duration.minutes(15));
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
