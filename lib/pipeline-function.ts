import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Names, RemovalPolicy, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from '../lambdas/shared/settings.js';
import { PROCESSING } from './defaults.js';

/** The pipeline's functions, by their folder in `lambdas/` (its `index.ts` is the entry). */
export const PIPELINE_HANDLERS = ['process-feedback', 'write-suppressions', 'watch-reputation', 'pause-sending'] as const;
export type PipelineHandler = (typeof PIPELINE_HANDLERS)[number];

/**
 * Where the installed package keeps each function's bundle, built by `npm pack` with the same
 * esbuild settings ({@link LAMBDA_BUNDLING}, `scripts/build-package.ts`): beside the compiled
 * construct, `assets/<handler>/index.js`. A checkout has none, and bundles from the sources.
 */
export function prebuiltCodeDirectory(handler: PipelineHandler, constructDirectory = __dirname): string {
  return path.join(constructDirectory, '..', 'assets', handler);
}

/** Properties of {@link PipelineFunction}. */
export interface PipelineFunctionProps {
  /** Its folder in `lambdas/`, whose `index.ts` exports `handler`. */
  readonly handler: PipelineHandler;
  readonly description: string;
  /** What the function's role is for. */
  readonly roleDescription: string;
  readonly memorySizeInMb: number;
  readonly timeout: Duration;
  /** The handler's settings, as `lambdas/shared/contract.ts` names them. */
  readonly environment: Record<string, string>;
  /** What the function may do besides writing its logs. */
  readonly statements: iam.PolicyStatement[];
}

/** How Lambda's SQS event source reads a queue for a {@link PipelineFunction}. */
export interface QueueReading {
  readonly batchSize: number;
  /** @default - none: Lambda hands a batch over as soon as it has read it */
  readonly maxBatchingWindow?: Duration;
  readonly maxConcurrency: number;
}

/**
 * One of the pipeline's functions: Node.js 24 on arm64, bundled with source maps, JSON logs in a
 * log group of its own, and a role of its own. From the installed package its code is the bundle
 * built when the package was packed, so a consumer's synth needs neither esbuild nor Docker; from a
 * checkout, NodejsFunction bundles the TypeScript sources with the same settings.
 *
 * The role may write that log group (rather than AWSLambdaBasicExecutionRole's every group) and do
 * what `statements` allow, nothing else. The log group and the role are created beside the
 * function, in its scope, as `<id>Logs` and `<id>Role`: construct IDs are a contract, and a
 * deployed stack has them there.
 */
export class PipelineFunction extends nodejs.NodejsFunction {
  public declare readonly role: iam.Role;

  public constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: PROCESSING.logRetentionInDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.roleDescription });
    logGroup.grantWrite(role);
    props.statements.forEach((statement) => role.addToPrincipalPolicy(statement));
    const prebuilt = prebuiltCodeDirectory(props.handler);
    const code: Pick<nodejs.NodejsFunctionProps, 'code' | 'handler' | 'entry' | 'bundling'> = existsSync(path.join(prebuilt, 'index.js'))
      ? { code: lambda.Code.fromAsset(prebuilt), handler: 'index.handler' }
      : { entry: path.join(__dirname, '..', 'lambdas', props.handler, 'index.ts'), bundling: { ...LAMBDA_BUNDLING, mainFields: [...LAMBDA_BUNDLING.mainFields] } };
    super(scope, id, {
      ...code,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySizeInMb,
      timeout: props.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    });
  }

  /**
   * Reads a queue through Lambda's SQS event source, with partial batch responses.
   *
   * Grants the three actions the poller needs on the queue (Lambda developer guide, "Execution role
   * permissions": ReceiveMessage, DeleteMessage, GetQueueAttributes). CDK's SqsEventSource would
   * also grant GetQueueUrl and ChangeMessageVisibility, which neither Lambda nor the functions call.
   */
  public consumeQueue(queue: sqs.IQueue, reading: QueueReading): void {
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], resources: [queue.queueArn] }),
    );
    // SqsEventSource's ID for the mapping, so its logical ID stays what it was.
    this.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(queue.node)}`, { eventSourceArn: queue.queueArn, reportBatchItemFailures: true, ...reading });
  }
}
