import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STACK_NAME } from '../../lambdas/shared/contract.js';
import { DEPLOY_LIMITS, longestResolvedLength } from '../../lib/deploy-limits.js';
import { type SesFeedbackPipelineProps } from '../../lib/pipeline-props.js';
import { SesFeedbackStack } from '../../lib/ses-feedback-stack.js';
import { streams } from '../support/cdk-app.js';
import { resolveTemplate, type CfnTemplate, type ResolvedTemplate } from '../support/cfn-resolve.js';

/**
 * A sender with many streams: 100 managed configuration sets (every one but `transactional`
 * pausable, the default) and 100 existing ones. The template is checked as CloudFormation would
 * resolve it (full ARNs, generated names of realistic length, the longest region name) against
 * every limit a deploy meets; and a configuration past a limit fails `synth` with a message that
 * names the limit and the prop.
 */
const MANY: SesFeedbackPipelineProps = { managedConfigurationSetNames: ['transactional', ...streams(99)], existingConfigurationSetNames: streams(100, 'legacy') };
// The longest region name and a 12-digit account: the longest ARNs a deploy can have.
const DEPLOYMENT = { account: '111122223333', region: 'ap-southeast-5', partition: 'aws', stackName: DEFAULT_STACK_NAME };

function synth(props: SesFeedbackPipelineProps, nag = false, stackName: string = DEFAULT_STACK_NAME): { template: CfnTemplate; resolved: ResolvedTemplate } {
  // Version reporting on, as `cdk synth` has it: CDK's metadata resource counts towards the 500.
  const app = new App({ analyticsReporting: true, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new SesFeedbackStack(app, stackName, { pipeline: { alertEmails: ['ops@example.com'], ...props } });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  return { template, resolved: resolveTemplate(template, { ...DEPLOYMENT, stackName }) };
}

const ofType = (resolved: ResolvedTemplate, type: string) => Object.entries(resolved.resources).filter(([, r]) => r.Type === type);
/** IAM counts a policy's characters without whitespace. */
const policyCharacters = (document: unknown): number => JSON.stringify(document).replace(/\s/g, '').length;

let many: { template: CfnTemplate; resolved: ResolvedTemplate };
beforeAll(() => {
  many = synth(MANY, true); // cdk-nag AwsSolutions fails the synth on any finding
});

describe('100 managed and 100 existing configuration sets, as CloudFormation resolves them', () => {
  it(`has at most ${DEPLOY_LIMITS.resourcesPerStack} resources, and a template body within CloudFormation's 1 MB (uploaded through the bootstrap bucket)`, () => {
    expect(Object.keys(many.template.Resources).length).toBeLessThanOrEqual(DEPLOY_LIMITS.resourcesPerStack);
    expect(Buffer.byteLength(JSON.stringify(many.template, undefined, 1))).toBeLessThanOrEqual(1024 * 1024);
  });

  it(`has event patterns of at most ${DEPLOY_LIMITS.eventPatternCharacters} characters`, () => {
    const patterns = ofType(many.resolved, 'AWS::Events::Rule').filter(([, r]) => r.Properties?.EventPattern !== undefined);
    expect(patterns.length).toBeGreaterThan(0);
    const longest = Math.max(...patterns.map(([, r]) => JSON.stringify(r.Properties?.EventPattern).length));
    expect(longest).toBeLessThanOrEqual(DEPLOY_LIMITS.eventPatternCharacters);
  });

  it(`gives each function at most ${DEPLOY_LIMITS.environmentBytes} bytes of environment variables`, () => {
    const functions = ofType(many.resolved, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const [id, fn] of functions) {
      const variables = ((fn.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {});
      const bytes = Object.entries(variables).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
      expect([id, bytes <= DEPLOY_LIMITS.environmentBytes]).toEqual([id, true]);
    }
  });

  it('keeps the feedback topic policy within SNS\'s limit and each role\'s inline policies within IAM\'s', () => {
    for (const [id, policy] of ofType(many.resolved, 'AWS::SNS::TopicPolicy')) {
      const document = policy.Properties?.PolicyDocument as { Statement: unknown[] };
      expect([id, Buffer.byteLength(JSON.stringify(document)) <= DEPLOY_LIMITS.topicPolicyBytes, document.Statement.length <= DEPLOY_LIMITS.topicPolicyStatements]).toEqual([id, true, true]);
    }
    const byRole = new Map<string, number>();
    for (const [, policy] of ofType(many.resolved, 'AWS::IAM::Policy')) {
      for (const role of policy.Properties?.Roles as string[]) byRole.set(role, (byRole.get(role) ?? 0) + policyCharacters(policy.Properties?.PolicyDocument));
    }
    expect(byRole.size).toBeGreaterThanOrEqual(4);
    for (const [role, characters] of byRole) expect([role, characters <= DEPLOY_LIMITS.roleInlinePolicyCharacters]).toEqual([role, true]);
  });

  it('has no more alarms than a stack of 2 sets, plus 4', () => {
    const alarms = (t: CfnTemplate) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length;
    expect(alarms(many.template)).toBeLessThanOrEqual(alarms(synth({}).template) + 4);
  });

  it('lets SES publish feedback from each of the 200 sets, by its ARN, in one statement', () => {
    const [feedback] = ofType(many.resolved, 'AWS::SNS::TopicPolicy').filter(([id]) => id.startsWith('PipelineFeedbackTopicPolicy'));
    const statements = (feedback?.[1].Properties?.PolicyDocument as { Statement: Array<{ Effect: string; Condition?: { StringEquals?: Record<string, string[]> } }> }).Statement;
    const sourceArns = statements.flatMap((s) => s.Condition?.StringEquals?.['AWS:SourceArn'] ?? []);
    expect(sourceArns).toHaveLength(200);
    expect(sourceArns).toContain('arn:aws:ses:ap-southeast-5:111122223333:configuration-set/SesFeedbackPipeline-stream099');
    expect(sourceArns).toContain('arn:aws:ses:ap-southeast-5:111122223333:configuration-set/legacy100');
  });
});

describe("the synth-time check's measure", () => {
  it('is never shorter than what CloudFormation resolves: environments, event patterns, policies, with a 60-character stack name', () => {
    const stackName = `Sender${'x'.repeat(54)}`;
    const { template, resolved } = synth({ ...MANY, configurationSetNamePrefix: 'S-' }, false, stackName);
    const measured = (type: string, value: (p: Record<string, unknown>) => unknown, asJson = true) =>
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === type && value(r.Properties ?? {}) !== undefined)
        .map(([id, r]) => [id, longestResolvedLength(value(r.Properties ?? {}), stackName, asJson), JSON.stringify(value(resolved.resources[id]?.Properties ?? {})).length] as const);
    const checks = [
      ...measured('AWS::Events::Rule', (p) => p.EventPattern),
      ...measured('AWS::SNS::TopicPolicy', (p) => p.PolicyDocument),
      ...measured('AWS::IAM::Policy', (p) => p.PolicyDocument),
      ...Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
        .flatMap(([id, r]) =>
          Object.entries(((r.Properties?.Environment as { Variables?: Record<string, unknown> }) ?? {}).Variables ?? {}).map(
            ([key, v]) => [`${id}.${key}`, longestResolvedLength(v, stackName, false), String((resolved.resources[id]?.Properties?.Environment as { Variables: Record<string, string> }).Variables[key]).length] as const,
          ),
        ),
    ];
    expect(checks.length).toBeGreaterThan(20);
    expect(checks.filter(([, estimate, actual]) => estimate < actual)).toEqual([]);
  });
});

describe('a configuration past a limit fails synth, naming the limit and the prop', () => {
  it('too many sets for one stack: the resource limit and the two props', () => {
    expect(() => synth({ managedConfigurationSetNames: ['transactional', ...streams(180)], existingConfigurationSetNames: streams(100, 'legacy') })).toThrow(
      /would have \d+ resources; CloudFormation allows 500\. managedConfigurationSetNames \(181 sets, 2 resources each\) and existingConfigurationSetNames \(100, 1 each\)/,
    );
  });

  it('fits 217 managed sets in one stack with one alert email, CDK\'s metadata resource included, and not 218 (what README says)', () => {
    const fits = synth({ managedConfigurationSetNames: ['transactional', ...streams(216)] });
    expect(Object.keys(fits.template.Resources)).toHaveLength(500);
    expect(Object.values(fits.template.Resources).filter((r) => r.Type === 'AWS::CDK::Metadata')).toHaveLength(1);
    expect(() => synth({ managedConfigurationSetNames: ['transactional', ...streams(217)] })).toThrow(/would have 502 resources; CloudFormation allows 500/);
  });

  it('too many existing sets named pausable for the guardrail\'s environment: the Lambda limit, the prop, and the tag to use instead', () => {
    const long = streams(80, `legacy-${'x'.repeat(45)}-`);
    expect(() => synth({ existingConfigurationSetNames: long, pausableConfigurationSetNames: long })).toThrow(
      /PauseSending\/Resource would have up to \d+ bytes of environment variables; Lambda allows 4096\. pausableConfigurationSetNames names 80 existing sets, .*tag them ses-feedback-pipeline:pausable=SesFeedbackPipeline instead/,
    );
  });
});
