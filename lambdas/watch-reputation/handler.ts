import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { PIPELINE_METRICS } from '../shared/contract.js';
import type { ReputationWatcher } from './reputation-watcher.js';

export interface WatchReputationDependencies {
  readonly watcher: ReputationWatcher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock?: () => Date;
}

/** What one scheduled look returns (visible in the console's test runs and the logs). */
export interface WatchSummary {
  readonly enforcementStatus: string;
  readonly sendingEnabled: boolean;
  readonly healthy: boolean;
  readonly changed: boolean;
}

/**
 * The scheduled handler: one look at the account, the AccountUnhealthy metric (the alarm's input),
 * one log line. A failure (SES, CloudWatch, DynamoDB, SNS) fails the invocation: Lambda retries it,
 * and the function's Errors alarm fires if it keeps failing.
 */
export function createWatchReputationHandler(deps: WatchReputationDependencies) {
  const { watcher, logger, metrics } = deps;
  const clock = deps.clock ?? (() => new Date());
  return async (): Promise<WatchSummary> => {
    const { snapshot, assessment } = await watcher.watch(clock());
    metrics.addDimension(PIPELINE_METRICS.watcherDimension.name, PIPELINE_METRICS.watcherDimension.value);
    metrics.addMetric(PIPELINE_METRICS.names.accountUnhealthy, MetricUnit.Count, assessment.healthy ? 0 : 1);
    metrics.addMetric(PIPELINE_METRICS.names.enforcementChanges, MetricUnit.Count, assessment.changed ? 1 : 0);
    metrics.publishStoredMetrics();
    const fields = {
      enforcementStatus: snapshot.enforcementStatus,
      sendingEnabled: snapshot.sendingEnabled,
      bounceRate: snapshot.bounceRate,
      complaintRate: snapshot.complaintRate,
      changed: assessment.changed,
    };
    if (assessment.changed) logger.warn('SES account enforcement changed; alert sent', fields);
    else logger.info('SES account read', fields);
    return { enforcementStatus: snapshot.enforcementStatus, sendingEnabled: snapshot.sendingEnabled, healthy: assessment.healthy, changed: assessment.changed };
  };
}
