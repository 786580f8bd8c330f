/**
 * Synthesizes the pipeline in every shape the infrastructure tests build it (defaults, custom
 * thresholds, existing configuration sets, removalPolicy DESTROY, ...), Lambda bundles included,
 * and writes one template per shape, with each resource's construct path, to a directory.
 *
 * A refactor of lib/ that must not change what is deployed runs it before and after, and diffs:
 *
 *   npx tsx scripts/synth-variants.ts .local/templates/before
 *   ... change lib/ ...
 *   npx tsx scripts/synth-variants.ts .local/templates/after
 *   diff -r .local/templates/before .local/templates/after
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SesFeedbackPipeline } from '../lib/ses-feedback-pipeline.js';
import { SesFeedbackStack } from '../lib/ses-feedback-stack.js';
import { type SesFeedbackPipelineProps } from '../lib/pipeline-props.js';

const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: tsx scripts/synth-variants.ts <output directory>');
  process.exit(2);
}

/** Construct paths in the template (`aws:cdk:path`): a resource that moves in the tree shows up even where its logical ID would not. */
const app = (): App => new App({ context: { 'aws:cdk:enable-path-metadata': true } });

const stackVariants: Record<string, SesFeedbackPipelineProps | undefined> = {
  defaults: undefined,
  'alert-emails': { alertEmails: ['ops@example.com', 'oncall@example.com'] },
  'custom-thresholds': { bounceRateThresholds: { warning: 0.02, critical: 0.04 }, complaintRateThresholds: { warning: 0.0005, critical: 0.0009 }, providerBlockAlarmThreshold: 200 },
  'existing-configuration-sets': {
    existingConfigurationSetNames: ['legacy-newsletter'],
    eventTypes: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT, ses.EmailSendingEvent.DELIVERY],
  },
  'removal-policy-destroy': { removalPolicy: RemovalPolicy.DESTROY, alertEmails: ['ops@example.com'] },
  'prefix-custom': { configurationSetNamePrefix: 'acme_' },
  'prefix-empty': { configurationSetNamePrefix: '' },
  'soft-bounce-and-retention': { softBounceThreshold: 0, softBounceWindow: Duration.days(7), eventRetention: Duration.days(30), campaignTagName: 'utm_campaign' },
  'writer-settings': { suppressionBatchingWindow: Duration.seconds(120), importThreshold: 100, importFileRetention: Duration.days(3), maxReceiveCount: 3 },
  'watch-interval': { reputationWatchInterval: Duration.minutes(5) },
  'managed-sets': { managedConfigurationSetNames: ['tx', 'news', 'alerts'] },
  nag: { alertEmails: ['ops@example.com'], existingConfigurationSetNames: ['legacy'] },
};

mkdirSync(outdir, { recursive: true });
const write = (name: string, stack: Stack): void => {
  writeFileSync(path.join(outdir, `${name}.template.json`), `${JSON.stringify(Template.fromStack(stack).toJSON(), null, 2)}\n`);
};

for (const [name, props] of Object.entries(stackVariants)) {
  write(name, new SesFeedbackStack(app(), 'Test', { pipeline: props }));
}

// Two stacks of one app in one account and region.
const pair = app();
const stacks = ['Production', 'Staging'].map((id) => new SesFeedbackStack(pair, id, { env: { account: '111122223333', region: 'eu-west-1' } }));
for (const stack of stacks) write(`env-${stack.node.id}`, stack);

// The construct in a stack of the user's, with an identity-feedback topic and a custom event bus.
const own = new Stack(app(), 'Own');
new SesFeedbackPipeline(own, 'Pipeline', {
  alertEmails: ['ops@example.com'],
  existingConfigurationSetNames: ['legacy-newsletter'],
  additionalFeedbackTopics: [sns.Topic.fromTopicArn(own, 'IdentityFeedback', 'arn:aws:sns:us-east-1:123456789012:identity-feedback')],
  suppressionEventBus: events.EventBus.fromEventBusName(own, 'Integrations', 'integrations'),
});
write('own-stack', own);

console.log(`${Object.keys(stackVariants).length + 3} templates in ${outdir}`);
