import * as path from 'node:path';
import { Names, RemovalPolicy, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { LAMBDA_BUNDLING, PROCESSING } from './defaults.js';

/** Properties of {@link PipelineFunction}. */
export interface PipelineFunctionProps {
  /** Its handler, in `lambdas/handlers/`. */
  readonly handler: 'process-feedback' | 'write-suppressions' | 'watch-reputation' | 'pause-sending';
  readonly description: string;
  /** What the function's role is for. */
  readonly roleDescription: string;
  readonly memorySizeInMb: number;
  readonly timeout: Duration;
  /** The handler's settings, as `lambdas/contract.ts` names them. */
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
 * log group of its own, and a role of its own.
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
    super(scope, id, {
      description: props.description,
      entry: path.join(__dirname, '..', 'lambdas', 'handlers', `${props.handler}.ts`),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySizeInMb,
      timeout: props.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: { ...LAMBDA_BUNDLING },
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
