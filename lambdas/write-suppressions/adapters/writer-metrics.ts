import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { PIPELINE_METRICS, type PipelineMetricName } from '../../shared/contract.js';

/** The suppression writer's counts, one EMF document per invocation, under the writer's own dimension. */
export class SuppressionWriterMetrics {
  private readonly counts = new Map<PipelineMetricName, number>();

  public constructor(private readonly metrics: Metrics) {}

  public add(name: PipelineMetricName, value: number): void {
    if (value > 0) this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }

  public publish(): void {
    if (this.counts.size === 0) return;
    this.metrics.addDimension(PIPELINE_METRICS.writerDimension.name, PIPELINE_METRICS.writerDimension.value);
    for (const [name, value] of this.counts) this.metrics.addMetric(name, MetricUnit.Count, value);
    this.metrics.publishStoredMetrics();
    this.counts.clear();
  }
}
