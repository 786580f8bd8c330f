import { AWS_ENFORCEMENT_LINES, DEFAULT_SETTINGS } from '../lambdas/shared/settings.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readAlarms } from './alarms.js';
import { AuditTrail } from './audit-trail.js';
import { type AppealReport, AppealReportBuilder } from './report/appeal-report.js';
import { toHtml } from './report/html.js';
import { toMarkdown } from './report/markdown.js';
import type { Target } from './target.js';

export type ReportFormat = 'md' | 'html';

export interface ReportOptions {
  readonly from: Date;
  readonly until: Date;
  readonly showAddresses: boolean;
}

/**
 * `report`: reads the range from the audit trail (time index and the watcher's snapshots, no scan)
 * and the stack's alarms, and builds the appeal report.
 */
export async function readAppealReport(target: Target, options: ReportOptions, now = new Date()): Promise<AppealReport> {
  const trail = new AuditTrail(target.client('dynamodb', DynamoDBClient), target.tableName);
  const builder = new AppealReportBuilder(options.showAddresses);
  const [, snapshots, alarms] = await Promise.all([
    trail.forEachEvent(options.from, options.until, (event) => builder.add(event)),
    trail.snapshots(options.from, options.until),
    readAlarms(target),
  ]);
  // The time index does not carry diagnostic codes: read those of a bounded sample from the table.
  const [blockDetails, guardrail] = await Promise.all([trail.bounceDetails(builder.providerBlockSamples()), trail.guardrailHistory(builder.guardrailKeys())]);
  return builder.build({
    from: options.from,
    until: options.until,
    generatedAt: now,
    target: { kind: target.kind, name: target.name },
    liveSince: target.liveSince,
    thresholds: {
      bounceRate: alarmedThresholds(alarms, 'Reputation.BounceRate') ?? DEFAULT_SETTINGS.bounceRateThresholds,
      complaintRate: alarmedThresholds(alarms, 'Reputation.ComplaintRate') ?? DEFAULT_SETTINGS.complaintRateThresholds,
      aws: AWS_ENFORCEMENT_LINES,
      softBounce: { threshold: DEFAULT_SETTINGS.softBounceThreshold, windowInDays: DEFAULT_SETTINGS.softBounceWindowInDays },
    },
    alarms,
    snapshots,
    blockDetails,
    guardrail,
    showAddresses: options.showAddresses,
  });
}

/**
 * The warning and critical thresholds of the stack's account-wide alarms on one SES reputation
 * metric (what the stack was deployed with); undefined without them (local pipeline), where the
 * defaults stand in.
 */
export function alarmedThresholds(alarms: AppealReport['protection']['alarms'], metricName: string): { warning: number; critical: number } | undefined {
  const thresholds = alarms.filter((a) => a.metric === metricName && a.threshold !== null).map((a) => a.threshold as number);
  return thresholds.length === 0 ? undefined : { warning: Math.min(...thresholds), critical: Math.max(...thresholds) };
}

export function renderReport(report: AppealReport, format: ReportFormat): string {
  return format === 'html' ? toHtml(report) : toMarkdown(report);
}
