import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_STACK_NAME } from '../../lambdas/shared/contract.js';
import { SesFeedbackStack } from '../../lib/ses-feedback-stack.js';
import { type SesFeedbackPipelineProps } from '../../lib/pipeline-props.js';
import { appWithoutBundling } from '../support/cdk-app.js';

/**
 * CloudFormation replaces a resource whose logical ID changes, and CDK derives the logical ID
 * from the construct path. A deployed stack must therefore keep these IDs through any refactor:
 * a new table, key, bucket or queue would start empty (or, retained, leave the old one orphaned
 * with its data), a new topic loses its confirmed email subscriptions, and a named resource
 * (configuration set, event destination) cannot be created beside the one it replaces.
 * The IDs are literals on purpose: a test that computed them would move with the code.
 */

/** The stack as `cdk deploy` builds it; the functions' code changes no logical ID, so it is not bundled. */
function synth(props?: SesFeedbackPipelineProps): Template {
  return Template.fromStack(new SesFeedbackStack(appWithoutBundling(), DEFAULT_STACK_NAME, { pipeline: props }));
}

const idsOf = (template: Template, type: string): string[] => Object.keys(template.findResources(type)).sort();

describe('logical IDs of stateful resources (a change replaces the resource in a deployed stack)', () => {
  let defaults: Template;
  beforeAll(() => {
    defaults = synth();
  });

  it.each<[type: string, what: string, ids: string[]]>([
    ['AWS::DynamoDB::Table', 'the audit trail, address state and suppression ledger', ['PipelineTable0C1A5F45']],
    [
      'AWS::KMS::Key',
      'the import files key, the feedback topic key, the alert topic key',
      ['PipelineAlertTopicKeyC8ED1963', 'PipelineFeedbackTopicKey7540EF53', 'PipelineKeyF48EE773'],
    ],
    ['AWS::S3::Bucket', 'the import bucket', ['PipelineImportBucket332A0A4D']],
    [
      'AWS::SQS::Queue',
      'the feedback and suppression queues and their dead-letter queues (the feedback one keeps the ID of the one queue there was)',
      ['PipelineDeadLetterQueueF08023D6', 'PipelineQueueC13966F5', 'PipelineSuppressionDeadLetterQueue191929D0', 'PipelineSuppressionQueueB0403834'],
    ],
    ['AWS::SNS::Topic', 'the feedback topic and the alert topic', ['PipelineAlertTopic0173397D', 'PipelineFeedbackTopic05216B6D']],
    [
      'AWS::SES::ConfigurationSet',
      'the managed configuration sets (named: a replacement cannot be created beside the set it replaces)',
      ['PipelineConfigurationSetmarketing91442DA9', 'PipelineConfigurationSettransactional01EB40DD'],
    ],
    [
      'AWS::SES::ConfigurationSetEventDestination',
      "the managed sets' feedback destinations (named within their set)",
      ['PipelineConfigurationSetmarketingFeedbackD4392B0C', 'PipelineConfigurationSettransactionalFeedback28BEAC16'],
    ],
    [
      'AWS::Logs::LogGroup',
      "the functions' log groups (90 days of logs, deleted with the group)",
      ['PipelinePauseSendingLogs7740609D', 'PipelineProcessFeedbackLogsD59BFCB7', 'PipelineWatchReputationLogs70E2C8ED', 'PipelineWriteSuppressionsLogsD3784F5F'],
    ],
  ])('keeps the logical IDs of every %s: %s', (type, _what, ids) => {
    expect(idsOf(defaults, type)).toEqual(ids);
  });

  it("keeps the logical ID of an existing configuration set's feedback destination (named within a set the user owns)", () => {
    const template = synth({ existingConfigurationSetNames: ['legacy-newsletter'] });
    expect(idsOf(template, 'AWS::SES::ConfigurationSetEventDestination')).toEqual([
      'PipelineConfigurationSetmarketingFeedbackD4392B0C',
      'PipelineConfigurationSettransactionalFeedback28BEAC16',
      'PipelineExistingConfigurationSetlegacynewsletterFeedback103DE216',
    ]);
  });

  it('keeps the logical IDs of the alert email subscriptions (a new one waits for its address to confirm again)', () => {
    const template = synth({ alertEmails: ['ops@example.com', 'oncall@example.com'] });
    const emails = Object.entries(template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } })).map(([id]) => id);
    expect(emails.sort()).toEqual(['PipelineAlertTopiconcallexamplecom36DE1290', 'PipelineAlertTopicopsexamplecom97A12038']);
  });
});
