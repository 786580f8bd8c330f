/**
 * Turns a synthesized CloudFormation template into the concrete strings AWS would see after a
 * deploy into one (fake) account and region: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
 * Fn::Split and the pseudo parameters, with physical names and ARNs made the way each service
 * makes them. An IAM evaluator can then compare real ARNs, as AWS does.
 *
 * Written here rather than taken from npm: cfn-resolver-lib (the one maintained candidate) resolves
 * Fn::Sub only from a map, cannot give ARNs of resources the template leaves unnamed, and needs
 * every Ref supplied by hand, which is most of what this file does.
 */

export interface Deployment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly stackName: string;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: unknown;
  readonly DeletionPolicy?: string;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

/** A template whose every intrinsic function has been evaluated. */
export interface ResolvedTemplate {
  readonly deployment: Deployment;
  readonly resources: Record<string, CfnResource>;
  /** What `Ref` gives for a resource of the template. */
  ref(logicalId: string): string;
  /** What `Fn::GetAtt` gives. */
  getAtt(logicalId: string, attribute: string): string;
}

/**
 * A physical name as CloudFormation generates one for a resource the template leaves unnamed:
 * stack name, logical ID and a 13-character random suffix, so lengths are realistic.
 */
function generatedName(deployment: Deployment, logicalId: string): string {
  return `${deployment.stackName}-${logicalId}-GENERATED0000`;
}

/** Resolves every intrinsic function of `template` as a deploy into `deployment` would. */
export function resolveTemplate(template: CfnTemplate, deployment: Deployment): ResolvedTemplate {
  const { account, region, partition } = deployment;
  const resources = template.Resources;
  const arn = (service: string, resource: string, inRegion = region, inAccount = account) => `arn:${partition}:${service}:${inRegion}:${inAccount}:${resource}`;

  const resourceOf = (logicalId: string): CfnResource => {
    const resource = resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId} in the template`);
    return resource;
  };
  /** The resource's own name property when the template sets one, else a generated name. */
  const nameOf = (logicalId: string, property: string | undefined, lowerCase = false): string => {
    const given = property === undefined ? undefined : resourceOf(logicalId).Properties?.[property];
    if (given !== undefined) return String(resolve(given));
    const name = generatedName(deployment, logicalId);
    return lowerCase ? name.toLowerCase() : name;
  };

  const ref = (logicalId: string): string => {
    const pseudo: Record<string, string> = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': partition,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': deployment.stackName,
      'AWS::StackId': arn('cloudformation', `stack/${deployment.stackName}/00000000-0000-0000-0000-000000000000`),
    };
    if (logicalId in pseudo) return pseudo[logicalId] as string;
    const { Type } = resourceOf(logicalId);
    switch (Type) {
      case 'AWS::SNS::Topic':
        return arn('sns', nameOf(logicalId, 'TopicName'));
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${nameOf(logicalId, 'QueueName')}`;
      case 'AWS::S3::Bucket':
        return nameOf(logicalId, 'BucketName', true);
      case 'AWS::KMS::Key':
        return `key-${logicalId.toLowerCase()}`;
      case 'AWS::SES::ConfigurationSet':
        return nameOf(logicalId, 'Name');
      case 'AWS::DynamoDB::Table':
        return nameOf(logicalId, 'TableName');
      case 'AWS::Lambda::Function':
        return nameOf(logicalId, 'FunctionName');
      case 'AWS::IAM::Role':
        return nameOf(logicalId, 'RoleName');
      case 'AWS::Events::Rule':
        return nameOf(logicalId, 'Name');
      case 'AWS::Logs::LogGroup':
        return nameOf(logicalId, 'LogGroupName');
      case 'AWS::CloudWatch::Alarm':
        return nameOf(logicalId, 'AlarmName');
      case 'AWS::CloudWatch::Dashboard':
        return nameOf(logicalId, 'DashboardName');
      default:
        return `${logicalId}-ref`;
    }
  };

  const getAtt = (logicalId: string, attribute: string): string => {
    const { Type } = resourceOf(logicalId);
    const key = `${Type}.${attribute}`;
    switch (key) {
      case 'AWS::SNS::Topic.TopicArn':
        return ref(logicalId);
      case 'AWS::SNS::Topic.TopicName':
        return nameOf(logicalId, 'TopicName');
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', nameOf(logicalId, 'QueueName'));
      case 'AWS::SQS::Queue.QueueName':
        return nameOf(logicalId, 'QueueName');
      case 'AWS::SQS::Queue.QueueUrl':
        return ref(logicalId);
      case 'AWS::S3::Bucket.Arn':
        return `arn:${partition}:s3:::${ref(logicalId)}`;
      case 'AWS::KMS::Key.Arn':
        return arn('kms', `key/${ref(logicalId)}`);
      case 'AWS::KMS::Key.KeyId':
        return ref(logicalId);
      case 'AWS::DynamoDB::Table.Arn':
        return arn('dynamodb', `table/${ref(logicalId)}`);
      case 'AWS::Lambda::Function.Arn':
        return arn('lambda', `function:${ref(logicalId)}`);
      case 'AWS::IAM::Role.Arn':
        return `arn:${partition}:iam::${account}:role/${ref(logicalId)}`;
      case 'AWS::Events::Rule.Arn':
        return arn('events', `rule/${ref(logicalId)}`);
      case 'AWS::Logs::LogGroup.Arn':
        return arn('logs', `log-group:${ref(logicalId)}:*`);
      case 'AWS::CloudWatch::Alarm.Arn':
        return arn('cloudwatch', `alarm:${ref(logicalId)}`);
      default:
        throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${key}) is not modelled`);
    }
  };

  const sub = (text: string, variables: Record<string, unknown>): string =>
    text.replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
      if (name in variables) return String(resolve(variables[name]));
      const dot = name.indexOf('.');
      return dot < 0 ? ref(name) : getAtt(name.slice(0, dot), name.slice(dot + 1));
    });

  /** Evaluates one value; `undefined` stands for AWS::NoValue. */
  function resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(resolve).filter((v) => v !== undefined);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [fn, args] = entries[0] ?? [];
    if (entries.length === 1 && fn !== undefined) {
      switch (fn) {
        case 'Ref':
          return args === 'AWS::NoValue' ? undefined : ref(args as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = typeof args === 'string' ? [args.slice(0, args.indexOf('.')), args.slice(args.indexOf('.') + 1)] : (args as [string, string]);
          return getAtt(id, String(resolve(attribute)));
        }
        case 'Fn::Join': {
          const [separator, parts] = args as [string, unknown[]];
          return (resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Sub':
          return typeof args === 'string' ? sub(args, {}) : sub(String((args as [string, Record<string, unknown>])[0]), (args as [string, Record<string, unknown>])[1]);
        case 'Fn::Select': {
          const [index, list] = args as [unknown, unknown];
          return (resolve(list) as unknown[])[Number(resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, text] = args as [string, unknown];
          return String(resolve(text)).split(separator);
        }
        default:
          if (fn.startsWith('Fn::')) throw new Error(`${fn} is not modelled`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]).filter(([, v]) => v !== undefined));
  }

  const resolved = Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, { ...r, Properties: resolve(r.Properties ?? {}) as Record<string, unknown> }]));
  return { deployment, resources: resolved, ref, getAtt };
}
