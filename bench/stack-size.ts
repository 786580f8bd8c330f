/**
 * `npm run stack-size`: what a sender gets at 2, 24 and 100 (+100 existing) configuration sets:
 * CloudFormation resources, alarms (metric alarms and Metrics Insights alarms), the metrics the
 * alarms analyse, and what the alarms and dashboard cost per month at the list prices of
 * bench/prices.ts. Every configuration set is assumed to publish its reputation metrics (so each
 * is one series of each per-set alarm) and the pipeline's per-set counts.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SesFeedbackStack } from '../lib/ses-feedback-stack.js';
import { type SesFeedbackPipelineProps } from '../lib/pipeline-props.js';
import { PRICES } from './prices.js';

/** The functions' bundles change no count: synthesize without them. */
const appWithoutBundling = (): App => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const streams = (count: number, prefix = 'stream'): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);

const shapes: Array<[string, SesFeedbackPipelineProps, number]> = [
  ['2 managed (the default)', {}, 2],
  ['24 managed', { managedConfigurationSetNames: ['transactional', ...streams(23)] }, 24],
  ['100 managed + 100 existing', { managedConfigurationSetNames: ['transactional', ...streams(99)], existingConfigurationSetNames: streams(100, 'legacy') }, 200],
];

console.log(`Prices: CloudWatch list prices of ${PRICES.asOf} (${PRICES.region}), free tier ignored.\n`);
console.log('| configuration sets | resources | alarms (metric + Metrics Insights) | metrics the alarms analyse | alarms $/month | dashboard $/month |');
console.log('|---|---|---|---|---|---|');
for (const [label, props, sets] of shapes) {
  const resources = Object.values(Template.fromStack(new SesFeedbackStack(appWithoutBundling(), 'SesFeedbackPipeline', { pipeline: props })).toJSON().Resources as Record<string, { Type: string; Properties: { Metrics?: Array<{ Expression?: string }> } }>);
  const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
  const insights = alarms.filter((a) => a.Properties.Metrics?.some((m) => m.Expression?.startsWith('SELECT')));
  // A per-set reputation query analyses one series per set; the provider-block query one per set plus `none`.
  const analysed = insights.reduce((sum, a) => sum + (a.Properties.Metrics?.[0]?.Expression?.includes('GROUP BY') ? sets : sets + 1), 0);
  const metricAlarms = alarms.length - insights.length;
  const dollars = metricAlarms * PRICES.alarmPerMetricMonth + analysed * PRICES.metricsInsightsAlarmPerMetricMonth;
  console.log(`| ${label} | ${resources.length} | ${alarms.length} (${metricAlarms} + ${insights.length}) | ${metricAlarms + analysed} | ${dollars.toFixed(2)} | ${PRICES.dashboardPerMonth.toFixed(2)} |`);
}
