#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STACK_NAME } from '../lambdas/shared/contract.js';
import { pipelinePropsFromContext } from '../lib/context.js';
import { SesFeedbackStack } from '../lib/ses-feedback-stack.js';

const app = new App();
const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? DEFAULT_STACK_NAME;

new SesFeedbackStack(app, stackName, {
  // Environment-agnostic unless the caller's CLI environment says otherwise.
  env: process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined,
  pipeline: pipelinePropsFromContext((key) => app.node.tryGetContext(key)),
});

// cdk-nag AwsSolutions: any unacknowledged finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
