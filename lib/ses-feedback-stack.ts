import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SesFeedbackPipeline } from './ses-feedback-pipeline.js';
import { type SesFeedbackPipelineProps } from './pipeline-props.js';

export interface SesFeedbackStackProps extends StackProps {
  readonly pipeline?: SesFeedbackPipelineProps;
}

/**
 * The deployable stack: one {@link SesFeedbackPipeline} and the outputs the operator CLI reads.
 */
export class SesFeedbackStack extends Stack {
  public readonly pipeline: SesFeedbackPipeline;

  public constructor(scope: Construct, id: string, props: SesFeedbackStackProps = {}) {
    super(scope, id, { description: 'SES feedback pipeline: bounces and complaints classified, suppressed, recorded, alarmed', ...props });
    this.pipeline = new SesFeedbackPipeline(this, 'Pipeline', props.pipeline);

    const output = (id: string, value: string, description: string): CfnOutput => new CfnOutput(this, id, { value, description });
    output('FeedbackTopicArn', this.pipeline.feedbackTopic.topicArn, 'SNS topic the configuration sets publish feedback to');
    output('QueueUrl', this.pipeline.queue.queueUrl, 'Queue the processing function reads');
    output('DeadLetterQueueUrl', this.pipeline.deadLetterQueue.queueUrl, 'Feedback records that could not be processed');
    output('SuppressionDeadLetterQueueUrl', this.pipeline.suppressionDeadLetterQueue.queueUrl, 'Suppression requests the writer could not complete');
    output('TableName', this.pipeline.table.tableName, 'Audit trail and per-address state');
    output('AlertTopicArn', this.pipeline.alertTopic.topicArn, 'Every alarm publishes here');
    output('ConfigurationSetNames', Object.values(this.pipeline.configurationSetNames).join(','), 'Send through these configuration sets (SES names)');
    output('SuppressionQueueUrl', this.pipeline.suppressionQueue.queueUrl, 'Addresses waiting for the suppression writer');
    output('ImportBucketName', this.pipeline.importBucket.bucketName, 'Suppression-list import files (SES reads them)');
    output('DashboardName', this.pipeline.dashboard.dashboardName, 'CloudWatch dashboard');
  }
}
