import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { PIPELINE_METRICS, type PipelineMetricName } from '../../shared/contract.js';
import type { ProcessedMessage } from '../feedback-processor.js';

const { names } = PIPELINE_METRICS;

/**
 * Counts what one invocation did, per configuration set, and publishes it as CloudWatch embedded
 * metric format through Powertools (no PutMetricData call, no IAM permission needed).
 */
export class FeedbackMetrics {
  private readonly counts = new Map<string, Map<PipelineMetricName, number>>();

  public constructor(private readonly metrics: Metrics) {}

  public add(processed: ProcessedMessage): void {
    const cs = dimensionValue(processed.configurationSet);
    for (let i = 0; i < processed.parked.length; i++) this.bump(cs, names.parkedRecipients);
    for (const { decision, duplicate, suppress } of processed.applied) {
      if (suppress) this.bump(cs, names.suppressionRequests);
      if (duplicate) {
        this.bump(cs, names.duplicates);
        continue;
      }
      this.bump(cs, names.events);
      switch (decision.rule) {
        case 'permanent-bounce':
        case 'address-status':
          this.bump(cs, names.hardBounces);
          break;
        case 'provider-block':
          this.bump(cs, names.providerBlocks);
          break;
        case 'soft-bounce':
          this.bump(cs, names.softBounces);
          break;
        case 'complaint':
          this.bump(cs, names.complaints);
          break;
        case 'already-on-account-suppression-list':
        case 'message-level-bounce':
        case 'complaint-not-spam':
        case 'mailbox-simulator':
        case 'no-effect':
          break;
      }
    }
  }

  public addMalformed(): void {
    this.bump(PIPELINE_METRICS.noConfigurationSet, names.malformed);
  }

  /** A message that is deliberately not feedback (SNS subscription and topic-validation notices): counted, never silent. */
  public addNotFeedback(): void {
    this.bump(PIPELINE_METRICS.noConfigurationSet, names.notFeedback);
  }

  /**
   * Writes one EMF document per configuration set seen, then starts over. Nothing is written for an
   * invocation that counted nothing.
   */
  public publish(): void {
    for (const [cs, byName] of this.counts) {
      this.metrics.addDimension(PIPELINE_METRICS.configurationSetDimension, cs);
      for (const [name, value] of byName) this.metrics.addMetric(name, MetricUnit.Count, value);
      this.metrics.publishStoredMetrics(); // also clears the dimension for the next set
    }
    this.counts.clear();
  }

  private bump(cs: string, name: PipelineMetricName): void {
    const byName = this.counts.get(cs) ?? new Map<PipelineMetricName, number>();
    byName.set(name, (byName.get(name) ?? 0) + 1);
    this.counts.set(cs, byName);
  }
}

/** SES's own grammar for configuration-set names. */
const CONFIGURATION_SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The metric dimension for a message's configuration-set tag: the name, `none` without one, and
 * `invalid` for a tag SES could not have written (it might carry anything, an address included,
 * and a dimension value is stored and shown in clear).
 */
function dimensionValue(configurationSet: string | undefined): string {
  if (configurationSet === undefined) return PIPELINE_METRICS.noConfigurationSet;
  return CONFIGURATION_SET_NAME.test(configurationSet) ? configurationSet : PIPELINE_METRICS.invalidConfigurationSet;
}
