import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_STACK_CONFIGURATION_SETS, DEFAULT_STACK_NAME } from '../lambdas/shared/contract.js';
import { LOCAL_ENDPOINTS_FILE, type LocalEndpoints } from './local-endpoints.js';

/** The stack's name when `--stack` is not given (bin/app.ts deploys this one). */
export { DEFAULT_STACK_NAME };

/** The AWS services the operator commands call on a target. */
export type TargetService = 'sesv2' | 'dynamodb' | 's3' | 'sqs' | 'cloudwatch';

/** What a target decides in an SDK v3 client's configuration: the region, and locally the endpoint and credentials. */
export interface TargetClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** SQS only: send to the service endpoint, not to the host in a queue URL. */
  readonly useQueueUrlAsEndpoint?: boolean;
}

/** An AWS SDK v3 client class, such as `SESv2Client`. */
export type SdkClientClass<C extends { destroy(): void }> = new (config: TargetClientConfig) => C;

/** A dead-letter queue and the one source queue whose messages it holds. */
export interface DeadLetterRoute {
  readonly source: 'feedback' | 'suppressions';
  readonly deadLetterQueueUrl: string;
  readonly sourceQueueUrl: string;
}

/** What the operator commands act on: the deployed stack, or the local pipeline. */
export interface Target {
  readonly kind: 'deployed' | 'local';
  /** Stack name, or the local endpoints file. */
  readonly name: string;
  readonly tableName: string;
  readonly importBucketName: string;
  /** Each dead-letter queue with the source queue its messages go back to: the feedback queue's, then the suppression queue's. */
  readonly deadLetterQueues: readonly DeadLetterRoute[];
  /** The writer's queue: every change to the SES list goes through the writer. */
  readonly suppressionQueueUrl: string;
  readonly configurationSetNames: readonly string[];
  /** SES's rate for non-send actions: 1 request/s in AWS, faster on a time-compressed local pipeline. */
  readonly sesRequestsPerSecond: number;
  /** When the pipeline went live: the stack's creation, or the local pipeline's start. */
  readonly liveSince: string | null;
  /** The stack's alarms, by name (deployed only). */
  readonly alarmNames: readonly string[];
  /** Whether the target has this service: the local pipeline has no CloudWatch. */
  has(service: TargetService): boolean;
  /**
   * The target's client of one service, made on first use and destroyed with the target. Each
   * command passes the client class it imports, so a command loads only the SDK clients it uses.
   *
   * @throws CliError when the target does not have the service
   */
  client<C extends { destroy(): void }>(service: TargetService, Client: SdkClientClass<C>): C;
  /** Destroys every client made so far. */
  destroy(): void;
}

export interface TargetOptions {
  readonly local?: boolean;
  readonly stack?: string;
  readonly region?: string;
}

/** An error whose message is already the one line the operator should read. */
export class CliError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Finds what to act on: with `--local` (or SES_FEEDBACK_LOCAL=file), the local pipeline's endpoints
 * file; otherwise the deployed stack's CloudFormation outputs, in the SDK's region.
 */
export async function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv): Promise<Target> {
  const localFile = env.SES_FEEDBACK_LOCAL ?? (options.local ? LOCAL_ENDPOINTS_FILE : undefined);
  return localFile ? localTarget(localFile) : deployedTarget(options.stack ?? DEFAULT_STACK_NAME, options.region);
}

type TargetFacts = Omit<Target, 'has' | 'client' | 'destroy'>;

/** A target's facts with its clients, made on demand from one configuration per service it has. */
function withClients(facts: TargetFacts, configs: Partial<Record<TargetService, TargetClientConfig>>): Target {
  const made = new Map<TargetService, { destroy(): void }>();
  return {
    ...facts,
    has: (service) => configs[service] !== undefined,
    client: <C extends { destroy(): void }>(service: TargetService, Client: SdkClientClass<C>): C => {
      const config = configs[service];
      if (!config) throw new CliError(`${facts.kind === 'local' ? 'the local pipeline' : `stack ${facts.name}`} has no ${service}`);
      const client = (made.get(service) as C | undefined) ?? new Client(config);
      made.set(service, client);
      return client;
    },
    destroy: () => {
      for (const client of made.values()) client.destroy();
      made.clear();
    },
  };
}

function localTarget(file: string): Target {
  if (!existsSync(file)) {
    throw new CliError(`no local pipeline is running (${file} not found): start one with 'npm start -- --keep-running'`);
  }
  const endpoints = JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints;
  const base = { region: endpoints.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const facts: TargetFacts = {
    kind: 'local',
    name: file,
    tableName: endpoints.resources.tableName,
    importBucketName: endpoints.resources.importBucketName,
    deadLetterQueues: [
      { source: 'feedback', deadLetterQueueUrl: endpoints.resources.deadLetterQueueUrl, sourceQueueUrl: endpoints.resources.queueUrl },
      { source: 'suppressions', deadLetterQueueUrl: endpoints.resources.suppressionDeadLetterQueueUrl, sourceQueueUrl: endpoints.resources.suppressionQueueUrl },
    ],
    suppressionQueueUrl: endpoints.resources.suppressionQueueUrl,
    // The local pipeline stands for a default deploy: its scenarios send with these names.
    configurationSetNames: endpoints.configurationSetNames ?? Object.values(DEFAULT_STACK_CONFIGURATION_SETS),
    sesRequestsPerSecond: endpoints.sesRequestsPerSecond,
    alarmNames: endpoints.alarmNames ?? [],
    liveSince: endpoints.startedAt ?? null,
  };
  return withClients(facts, {
    sesv2: { ...base, endpoint: endpoints.sesv2 },
    dynamodb: { ...base, endpoint: endpoints.dynamodb },
    s3: { ...base, endpoint: endpoints.s3 },
    sqs: { ...base, endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false },
    ...(endpoints.cloudwatch === undefined ? {} : { cloudwatch: { ...base, endpoint: endpoints.cloudwatch } }),
  });
}

async function deployedTarget(stackName: string, region: string | undefined): Promise<Target> {
  const config = region ? { region } : {};
  const { CloudFormationClient, DescribeStacksCommand, paginateListStackResources } = await import('@aws-sdk/client-cloudformation');
  const cloudformation = new CloudFormationClient(config);
  try {
    const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs: Record<string, string> = Object.fromEntries((Stacks[0]?.Outputs ?? []).map((o): [string, string] => [o.OutputKey ?? '', o.OutputValue ?? '']));
    const required = (key: string): string => {
      const value = outputs[key];
      if (!value) throw new CliError(`stack ${stackName} has no ${key} output: deploy this version of ses-feedback-pipeline first`);
      return value;
    };
    // ListStackResources pages through every resource (DescribeStackResources stops at 100).
    const resources: Array<{ type: string; physicalId: string }> = [];
    for await (const page of paginateListStackResources({ client: cloudformation }, { StackName: stackName })) {
      for (const r of page.StackResourceSummaries ?? []) if (r.ResourceType && r.PhysicalResourceId) resources.push({ type: r.ResourceType, physicalId: r.PhysicalResourceId });
    }
    const physicalIds = (type: string): string[] => resources.filter((r) => r.type === type).map((r) => r.physicalId);
    const facts: TargetFacts = {
      kind: 'deployed',
      name: stackName,
      tableName: required('TableName'),
      importBucketName: required('ImportBucketName'),
      deadLetterQueues: [
        { source: 'feedback', deadLetterQueueUrl: required('DeadLetterQueueUrl'), sourceQueueUrl: required('QueueUrl') },
        { source: 'suppressions', deadLetterQueueUrl: required('SuppressionDeadLetterQueueUrl'), sourceQueueUrl: required('SuppressionQueueUrl') },
      ],
      suppressionQueueUrl: required('SuppressionQueueUrl'),
      configurationSetNames: physicalIds('AWS::SES::ConfigurationSet'),
      sesRequestsPerSecond: 1,
      liveSince: Stacks[0]?.CreationTime?.toISOString() ?? null,
      alarmNames: physicalIds('AWS::CloudWatch::Alarm'),
    };
    return withClients(facts, { sesv2: config, dynamodb: config, s3: config, sqs: { ...config, useQueueUrlAsEndpoint: false }, cloudwatch: config });
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (/does not exist/.test(message)) {
      const where = await cloudformation.config.region().catch(() => 'the default region');
      throw new CliError(`stack ${stackName} not found in ${where}: check --stack and --region (or AWS_REGION), or deploy it first`);
    }
    throw error;
  } finally {
    cloudformation.destroy();
  }
}

/**
 * The one line to print for an error: what went wrong and what to do, never a stack trace.
 * Covers the failures operators meet first: credentials, region, permissions, sandbox, throttling.
 */
export function describeError(error: unknown): string {
  if (error instanceof CliError) return error.message;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const message = (e.message ?? String(error)).split('\n')[0] ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return 'no AWS credentials found: set AWS_PROFILE, run `aws sso login` or `aws configure`, or use --local';
  }
  if (/Region is missing/i.test(message)) return 'no AWS region set: pass --region or set AWS_REGION';
  if (name === 'UnrecognizedClientException' || name === 'InvalidClientTokenId' || name === 'ExpiredTokenException' || name === 'ExpiredToken') {
    return `AWS rejected the credentials (${name}): refresh them (aws sso login) or pick another profile`;
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || e.$metadata?.httpStatusCode === 403) {
    return `not allowed: ${message} (the credentials need the permissions listed in README, "Operator commands")`;
  }
  if (/sandbox/i.test(message) || (name === 'BadRequestException' && /production access/i.test(message))) {
    return `this SES account is in the sandbox, where the suppression-list API cannot be called: request production access (${message})`;
  }
  if (name === 'TooManyRequestsException') return 'SES throttled the request even after retries: wait a minute and run the command again (it resumes)';
  if (name === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) return `cannot connect (${message}): is the local pipeline still running?`;
  return `${name}: ${message}`;
}
