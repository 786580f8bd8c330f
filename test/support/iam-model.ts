import { anonymousPrincipal, runSimulation, type AnonymousRequestPrincipal, type EvaluationResult, type Simulation } from '@cloud-copilot/iam-simulate';
import { queueArnOf } from '../../local/call-authorization.js';
import { resolveTemplate, type CfnTemplate, type Deployment, type ResolvedTemplate } from './cfn-resolve.js';

/** What AWS decides for one request, in iam-simulate's words: Allowed, ImplicitlyDenied or ExplicitlyDenied. */
export type Decision = EvaluationResult;

interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Record<string, unknown>[];
}

/** A policy attached to a role, as iam-simulate takes it. */
export interface IdentityPolicy {
  readonly name: string;
  readonly policy: PolicyDocument;
}

/** Who asks: a role (by its logical ID in the template), an AWS service, any other principal ARN, or nobody. */
export type Caller = { readonly role: string } | { readonly service: string } | { readonly arn: string; readonly policies: readonly IdentityPolicy[] } | AnonymousRequestPrincipal;

export interface AwsRequest {
  readonly caller: Caller;
  readonly action: string;
  /** The resource's ARN, concrete (from {@link StackPolicies.arn} or the resolved template). */
  readonly resource: string;
  /** Context keys the caller's request carries; `aws:SecureTransport` is `true` unless given. */
  readonly context?: Record<string, string | string[]>;
}

/** The fake account and region every template is deployed into by these tests. */
export const DEPLOYMENT = { account: '111122223333', region: 'eu-west-1', partition: 'aws' } as const;
/** Another account: confused deputies and intruders come from here. */
export const OTHER_ACCOUNT = '444455556666';

/** Managed policies a template may attach, by the ARN it attaches them with (AWS's documents). */
const MANAGED_POLICIES: Record<string, PolicyDocument> = {
  [`arn:${DEPLOYMENT.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`]: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

/**
 * Every policy of a synthesized stack, deployed into {@link DEPLOYMENT} (or another account and
 * region, for a stack on the other side of a cross-account flow): role (identity) policies,
 * and the resource policies of its topics, queues, bucket, keys and functions. `evaluate` asks
 * iam-simulate what AWS would decide for a request, with the policies that apply to it.
 */
export class StackPolicies {
  public readonly template: ResolvedTemplate;
  private readonly resourcePolicies = new Map<string, PolicyDocument>();

  private readonly deployment: Deployment;

  public constructor(template: CfnTemplate, stackName: string, into: Omit<Deployment, 'stackName'> = DEPLOYMENT) {
    const deployment: Deployment = { ...into, stackName };
    this.deployment = deployment;
    this.template = resolveTemplate(template, deployment);
    for (const [id, resource] of Object.entries(this.template.resources)) {
      const p = resource.Properties ?? {};
      switch (resource.Type) {
        case 'AWS::SNS::TopicPolicy':
          for (const topic of p.Topics as string[]) this.addResourcePolicy(topic, p.PolicyDocument as PolicyDocument);
          break;
        case 'AWS::SQS::QueuePolicy':
          for (const url of p.Queues as string[]) this.addResourcePolicy(queueArnOf(url, deployment.region) ?? url, p.PolicyDocument as PolicyDocument);
          break;
        case 'AWS::S3::BucketPolicy':
          this.addResourcePolicy(`arn:${deployment.partition}:s3:::${p.Bucket as string}`, p.PolicyDocument as PolicyDocument);
          break;
        case 'AWS::KMS::Key':
          this.addResourcePolicy(this.template.getAtt(id, 'Arn'), p.KeyPolicy as PolicyDocument);
          break;
        case 'AWS::Lambda::Permission':
          this.addResourcePolicy(p.FunctionName as string, { Version: '2012-10-17', Statement: [lambdaPermissionStatement(id, p)] });
          break;
      }
    }
  }

  /** Resolves `Fn::GetAtt logicalId.Arn` (or any other attribute). */
  public arn(logicalId: string, attribute = 'Arn'): string {
    return this.template.getAtt(logicalId, attribute);
  }

  /** The logical ID of the one resource of `type` whose logical ID starts with `prefix`. */
  public logicalId(type: string, prefix: string): string {
    const ids = Object.keys(this.template.resources).filter((id) => this.template.resources[id]?.Type === type && id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${ids.length}: ${ids.join(', ')}`);
    return ids[0] as string;
  }

  /** Every logical ID of `type`. */
  public logicalIds(type: string): string[] {
    return Object.keys(this.template.resources).filter((id) => this.template.resources[id]?.Type === type);
  }

  /** The role a function runs with. */
  public roleOf(functionLogicalId: string): string {
    const roleArn = this.template.resources[functionLogicalId]?.Properties?.Role as string;
    const role = this.logicalIds('AWS::IAM::Role').find((id) => this.arn(id) === roleArn);
    if (!role) throw new Error(`no role in the template runs ${functionLogicalId}`);
    return role;
  }

  /** A role's identity policies: inline, attached (AWS::IAM::Policy) and managed. */
  public identityPolicies(roleLogicalId: string): IdentityPolicy[] {
    const role = this.template.resources[roleLogicalId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role`);
    const roleName = this.template.ref(roleLogicalId);
    const inline = ((role.Properties?.Policies ?? []) as Array<{ PolicyName: string; PolicyDocument: PolicyDocument }>).map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument }));
    const attached = Object.entries(this.template.resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && (r.Properties?.Roles as string[]).includes(roleName))
      .map(([id, r]) => ({ name: id, policy: r.Properties?.PolicyDocument as PolicyDocument }));
    const managed = ((role.Properties?.ManagedPolicyArns ?? []) as string[]).map((arn) => {
      const policy = MANAGED_POLICIES[arn];
      if (!policy) throw new Error(`managed policy ${arn} of ${roleLogicalId} is not modelled`);
      return { name: arn, policy };
    });
    return [...inline, ...attached, ...managed];
  }

  /** The resource policy that governs `resource` (an object's is its bucket's), if any. */
  public resourcePolicy(resource: string): PolicyDocument | undefined {
    const bucket = /^arn:[^:]+:s3:::([^/]+)/.exec(resource)?.[1];
    return this.resourcePolicies.get(bucket ? `arn:${this.deployment.partition}:s3:::${bucket}` : resource);
  }

  /**
   * What AWS decides. A role's request carries its identity policies (the role is overridable,
   * to prove a check can fail); every request carries the resource's policy.
   */
  public async evaluate(request: AwsRequest, overrides: { identityPolicies?: readonly IdentityPolicy[] } = {}): Promise<Decision> {
    const { caller } = request;
    let principal: string | AnonymousRequestPrincipal;
    let identityPolicies: readonly IdentityPolicy[] = [];
    if ('role' in caller) {
      principal = `arn:${this.deployment.partition}:sts::${this.deployment.account}:assumed-role/${this.template.ref(caller.role)}/session`;
      identityPolicies = overrides.identityPolicies ?? this.identityPolicies(caller.role);
    } else if ('service' in caller) {
      principal = caller.service;
    } else if ('arn' in caller) {
      principal = caller.arn;
      identityPolicies = caller.policies;
    } else {
      principal = anonymousPrincipal;
    }
    const isOurBucket = /^arn:[^:]+:s3:::/.test(request.resource) && this.resourcePolicy(request.resource) !== undefined;
    const simulation: Simulation = {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: accountOf(request.resource, this.deployment.account) },
        contextVariables: { 'aws:SecureTransport': 'true', ...request.context },
      },
      identityPolicies: identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.resourcePolicy(request.resource),
      // The import bucket blocks public access (BlockPublicAccess.BLOCK_ALL).
      ...(isOurBucket ? { additionalSettings: { s3: { blockPublicAccess: true } } } : {}),
    };
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') throw new Error(`iam-simulate refused ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
  }

  private addResourcePolicy(resourceArn: string, document: PolicyDocument): void {
    const existing = this.resourcePolicies.get(resourceArn);
    this.resourcePolicies.set(resourceArn, { Version: '2012-10-17', Statement: [...(existing?.Statement ?? []), ...document.Statement] });
  }
}

/** The statement Lambda adds to a function's policy for AddPermission (SourceArn → ArnLike, SourceAccount → StringEquals). */
function lambdaPermissionStatement(id: string, p: Record<string, unknown>): Record<string, unknown> {
  const principal = p.Principal as string;
  const conditions: Record<string, Record<string, string>> = {};
  if (p.SourceArn) conditions.ArnLike = { 'AWS:SourceArn': p.SourceArn as string };
  if (p.SourceAccount) conditions.StringEquals = { 'AWS:SourceAccount': p.SourceAccount as string };
  return {
    Sid: id,
    Effect: 'Allow',
    Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
    Action: p.Action,
    Resource: p.FunctionName,
    ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
  };
}

/** The account that owns a resource: from its ARN, or the deployment's for S3 (bucket ARNs carry none). */
function accountOf(arn: string, deploymentAccount: string): string {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : deploymentAccount;
}
