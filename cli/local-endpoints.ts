import { join } from 'node:path';

/**
 * The file through which the operator CLI finds a running local pipeline (`--local`): the local
 * pipeline writes it (`npm start -- --keep-running`), the CLI reads it. The CLI owns its format, so
 * the local pipeline depends on the CLI and never the other way round.
 */
export const LOCAL_ENDPOINTS_FILE = join('.local', 'endpoints.json');

/** What the operator commands act on in the local pipeline (it writes more; the CLI reads these). */
export interface LocalEndpointResources {
  readonly tableName: string;
  readonly importBucketName: string;
  /** The feedback queue and its dead letters. */
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** The suppression writer's queue: `suppression import` and `remove` go through the writer. */
  readonly suppressionQueueUrl: string;
  /** The suppression queue's dead letters. */
  readonly suppressionDeadLetterQueueUrl: string;
}

/** The content of {@link LOCAL_ENDPOINTS_FILE}: where the local services listen. */
export interface LocalEndpoints {
  readonly region: string;
  readonly dynamodb: string;
  readonly sqs: string;
  readonly s3: string;
  readonly sesv2: string;
  /** The local CloudWatch endpoint (DescribeAlarms: the local reputation alarms), when the pipeline runs one. */
  readonly cloudwatch?: string;
  /** Names of the local reputation alarms, as a stack's outputs name its alarms. */
  readonly alarmNames?: readonly string[];
  /** The configuration sets of the local deploy, by SES name. */
  readonly configurationSetNames?: readonly string[];
  /** The local SES endpoint's rate (SES's 1 request/s times the time compression). */
  readonly sesRequestsPerSecond: number;
  readonly resources: LocalEndpointResources;
  /** When this pipeline started: what the report calls "live since". */
  readonly startedAt: string;
}
