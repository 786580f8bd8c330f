import { CfnResource, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct, IValidation } from 'constructs';

/**
 * The AWS limits a deploy of the pipeline could meet, checked at synth so that a configuration
 * that cannot deploy fails `cdk synth` with a message naming the limit and the prop, instead of
 * failing in CloudFormation halfway through a deploy.
 */
export const DEPLOY_LIMITS = {
  /** CloudFormation: resources per stack. */
  resourcesPerStack: 500,
  /** Lambda: all environment variables of a function together (keys and values), in bytes. */
  environmentBytes: 4096,
  /** EventBridge: an event pattern, in characters (the default quota; AWS can raise it). */
  eventPatternCharacters: 2048,
  /** SNS: a topic's access policy, in bytes, and its statements. */
  topicPolicyBytes: 30 * 1024,
  topicPolicyStatements: 100,
  /** IAM: a role's inline policies together, in characters, whitespace not counted. */
  roleInlinePolicyCharacters: 10_240,
} as const;

/** What a configuration of many sets costs, for the messages. */
export interface SetCounts {
  readonly managed: number;
  readonly existing: number;
  readonly existingPausable: number;
}

/**
 * The longest each intrinsic function can resolve to. A name CloudFormation generates is the stack
 * name, the logical ID and a 13-character suffix; a `Ref` or `Fn::GetAtt` may be an ARN or a queue
 * URL around such a name (their prefixes are under 100 characters). A function this does not know
 * counts as 1,024 characters: the check errs on the side of failing.
 */
const PSEUDO: Record<string, number> = { 'AWS::AccountId': 12, 'AWS::Region': 14, 'AWS::Partition': 10, 'AWS::URLSuffix': 16 };
const AROUND_A_NAME = 100;
const UNKNOWN = 1024;

/** The length `value` (as Stack.resolve gives it) can have once CloudFormation resolves it, as JSON (`asJson`) or as a string. */
export function longestResolvedLength(value: unknown, stackName: string, asJson = true): number {
  const named = (logicalId: string): number => AROUND_A_NAME + stackName.length + logicalId.length + 14;
  const inString = (v: unknown): number => (typeof v === 'string' ? (asJson ? JSON.stringify(v).length - 2 : v.length) : longestResolvedLength(v, stackName, false));
  if (typeof value === 'string') return asJson ? JSON.stringify(value).length : value.length;
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null).length;
  const quotes = asJson ? 2 : 0;
  const keys = Object.keys(value);
  const [fn] = keys;
  if (keys.length === 1 && fn !== undefined && (fn === 'Ref' || fn.startsWith('Fn::'))) {
    const arg = (value as Record<string, unknown>)[fn];
    switch (fn) {
      case 'Ref':
        if (arg === 'AWS::StackName') return quotes + stackName.length;
        return quotes + (PSEUDO[arg as string] ?? (String(arg).startsWith('AWS::') ? UNKNOWN : named(String(arg))));
      case 'Fn::GetAtt':
        return quotes + named(String((arg as unknown[])[0]));
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return quotes + parts.reduce<number>((sum, p) => sum + inString(p), 0) + separator.length * Math.max(0, parts.length - 1);
      }
      case 'Fn::Sub': {
        const template = Array.isArray(arg) ? String(arg[0]) : String(arg);
        const variables = template.match(/\$\{[^}]+\}/g) ?? [];
        return quotes + inString(template.replace(/\$\{[^}]+\}/g, '')) + variables.reduce((sum, v) => sum + named(v), 0);
      }
      default:
        return quotes + UNKNOWN;
    }
  }
  if (Array.isArray(value)) return 2 + value.reduce<number>((sum, v) => sum + longestResolvedLength(v, stackName) + 1, 0);
  return 2 + Object.entries(value).reduce((sum, [k, v]) => sum + JSON.stringify(k).length + 1 + longestResolvedLength(v, stackName) + 1, 0);
}

/** The check, as a construct validation: one message per limit a deploy would exceed. */
export function deployLimitsValidation(scope: IConstruct, counts: () => SetCounts): IValidation {
  return {
    validate: () => {
      const stack = Stack.of(scope);
      const measure = (value: unknown, asJson = true): number => longestResolvedLength(stack.resolve(value), stack.stackName, asJson);
      const { managed, existing, existingPausable } = counts();
      const sets = `managedConfigurationSetNames (${managed} sets, 2 resources each) and existingConfigurationSetNames (${existing}, 1 each)`;
      const errors: string[] = [];
      // CDK's metadata resource (version reporting, on by default) is among them.
      const resources = stack.node.findAll().filter(CfnResource.isCfnResource).length;
      if (resources > DEPLOY_LIMITS.resourcesPerStack) {
        errors.push(
          `stack ${stack.stackName} would have ${resources} resources; CloudFormation allows ${DEPLOY_LIMITS.resourcesPerStack}. ${sets} make most of them: ` +
            'deploy the sets in more than one stack, each pipeline with its own configurationSetNamePrefix.',
        );
      }
      for (const node of scope.node.findAll()) {
        if (node instanceof lambda.CfnFunction) {
          const variables = (stack.resolve(node.environment) as { variables?: Record<string, unknown> } | undefined)?.variables ?? {};
          const bytes = Object.entries(variables).reduce((sum, [key, value]) => sum + key.length + measure(value, false), 0);
          if (bytes > DEPLOY_LIMITS.environmentBytes) {
            errors.push(
              `function ${node.node.path} would have up to ${bytes} bytes of environment variables; Lambda allows ${DEPLOY_LIMITS.environmentBytes}. ` +
                (existingPausable > 0
                  ? `pausableConfigurationSetNames names ${existingPausable} existing sets, which its settings list: tag them ses-feedback-pipeline:pausable=${stack.stackName} instead and leave them out of the prop.`
                  : 'Shorten the prop values it carries.'),
            );
          }
        } else if (node instanceof events.CfnRule && node.eventPattern !== undefined) {
          const characters = measure(node.eventPattern);
          if (characters > DEPLOY_LIMITS.eventPatternCharacters) {
            errors.push(`rule ${node.node.path} would have an event pattern of up to ${characters} characters; EventBridge allows ${DEPLOY_LIMITS.eventPatternCharacters}.`);
          }
        } else if (node instanceof sns.CfnTopicPolicy) {
          const bytes = measure(node.policyDocument);
          if (bytes > DEPLOY_LIMITS.topicPolicyBytes) {
            errors.push(`topic policy ${node.node.path} would be up to ${bytes} bytes; SNS allows ${DEPLOY_LIMITS.topicPolicyBytes}. It names each of the ${sets}: deploy the sets in more than one stack.`);
          }
          const statements = ((stack.resolve(node.policyDocument) as { Statement?: unknown[] }).Statement ?? []).length;
          if (statements > DEPLOY_LIMITS.topicPolicyStatements) {
            errors.push(`topic policy ${node.node.path} would have ${statements} statements; SNS allows ${DEPLOY_LIMITS.topicPolicyStatements}.`);
          }
        }
      }
      for (const role of scope.node.findAll().filter((n): n is iam.CfnRole => n instanceof iam.CfnRole)) {
        const policies = stack.node.findAll().filter((n): n is iam.CfnPolicy => n instanceof iam.CfnPolicy && JSON.stringify(stack.resolve(n.roles)).includes(stack.getLogicalId(role)));
        const characters = policies.reduce((sum, p) => sum + measure(p.policyDocument), 0);
        if (characters > DEPLOY_LIMITS.roleInlinePolicyCharacters) {
          errors.push(`role ${role.node.path} would have up to ${characters} characters of inline policy; IAM allows ${DEPLOY_LIMITS.roleInlinePolicyCharacters}.`);
        }
      }
      return errors;
    },
  };
}
