/**
 * AWS calls per feedback event: the built-in scenario through the local pipeline with every call
 * of the functions counted by a metering proxy (local/call-meter.ts), and the same messages through
 * the naive baseline handler (one invocation per message), counted the same way.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { CallMeter, type MeterReading } from '../local/call-meter.js';
import { LOCAL_CLIENT_CONFIG } from '../local/dynamodb-local.js';
import { countEventItems } from '../local/feedback-table.js';
import { LocalPipeline } from '../local/pipeline.js';
import { type InvocationStats, type LocalFunction } from '../local/function-worker.js';
import { LocalSes } from '../local/ses-server.js';
import { PROCESSING_SETTINGS } from '../lambdas/shared/settings.js';

export interface PipelineCalls {
  /** SNS messages published (duplicates and malformed ones included). */
  readonly messages: number;
  /** Distinct events recorded: the minimum number of DynamoDB writes. */
  readonly newEvents: number;
  readonly reading: MeterReading;
  readonly invocations: Record<LocalFunction, InvocationStats>;
  readonly logBytes: Record<LocalFunction, number>;
  readonly ses: {
    readonly calls: number;
    /** One call per address suppressed singly, one CreateImportJob and one GetImportJob per import job. */
    readonly minimum: number;
    readonly importJobs: number;
    readonly suppressed: number;
  };
  /** "Address Suppressed" events the writer put on the local default bus. */
  readonly eventsPublished: number;
  readonly seconds: number;
  /** Worker processes that died (function timeouts) and were started again: their batches ran twice. */
  readonly restarts: number;
}

const FUNCTIONS: readonly LocalFunction[] = ['process-feedback', 'write-suppressions'];

/** Runs the messages through the local pipeline (clock x`timeCompression`) with the call meter on. */
export async function measurePipelineCalls(messages: string[], timeCompression: number, logDir: string): Promise<PipelineCalls> {
  rmSync(logDir, { recursive: true, force: true }); // the workers append: log bytes are this run's only
  const pipeline = await LocalPipeline.start({ timeCompression, logDir, meter: true });
  try {
    await pipeline.startWorker();
    const t0 = Date.now();
    await pipeline.publish(messages);
    await pipeline.drain(10 * 60_000);
    const seconds = (Date.now() - t0) / 1000;
    const reading = pipeline.meter?.calls.read();
    if (!reading) throw new Error('the call meter did not start');
    const ses = pipeline.ses;
    return {
      messages: messages.length,
      newEvents: await countEventItems(pipeline.dynamodb, pipeline.resources.tableName),
      reading,
      invocations: pipeline.invocations(),
      logBytes: Object.fromEntries(FUNCTIONS.map((fn) => [fn, fileSize(join(logDir, `${fn}.log`))])) as Record<LocalFunction, number>,
      ses: {
        calls: Object.values(reading.services.sesv2.operations).reduce((a, b) => a + b, 0),
        minimum: ses.putCalls.size + 2 * ses.importJobs.size,
        importJobs: ses.importJobs.size,
        suppressed: ses.list.size,
      },
      eventsPublished: pipeline.events.bus.events.length,
      seconds,
      restarts: pipeline.restarts,
    };
  } finally {
    await pipeline.stop();
  }
}

export interface NaiveCalls {
  readonly messages: number;
  readonly invocations: number;
  readonly durationMs: number;
  readonly reading: MeterReading;
}

/**
 * The naive baseline over the same messages: its bundled handler loaded in this process and invoked
 * once per message, as SNS invokes a subscribed function; a failed invocation is retried twice, as
 * Lambda does for asynchronous invocations. SES here does not throttle (at SES's real 1 request/s a
 * burst would add throttled calls and retries to the naive figures).
 */
export async function measureNaiveCalls(messages: string[], bundleFile: string): Promise<NaiveCalls> {
  const pipeline = await LocalPipeline.start({ timeCompression: 60 }); // for its DynamoDB Local only
  const ses = new LocalSes({ requestsPerSecond: 1_000_000 });
  const meter = new CallMeter();
  const saved = { ...process.env };
  try {
    const sesEndpoint = await ses.start();
    const dynamodbEndpoint = pipeline.endpoints().dynamodb;
    const unused = sesEndpoint; // the naive handler calls only DynamoDB and SES
    const endpoints = await meter.start({ dynamodb: dynamodbEndpoint, sesv2: sesEndpoint, sqs: unused, s3: unused, eventbridge: unused, sns: unused, cloudwatch: unused });
    const tableName = 'naive-feedback';
    await pipeline.dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }),
    );
    Object.assign(process.env, {
      AWS_REGION: LOCAL_CLIENT_CONFIG.region,
      AWS_ACCESS_KEY_ID: LOCAL_CLIENT_CONFIG.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CLIENT_CONFIG.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SESV2: endpoints.sesv2,
      NAIVE_TABLE_NAME: tableName,
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle, loaded after its environment is set, as Lambda does
    const { handler } = require(join(process.cwd(), bundleFile)) as { handler: (event: SNSEvent) => Promise<void> };
    let invocations = 0;
    let durationMs = 0;
    let next = 0;
    // As many invocations at once as the pipeline's processing function runs (its maxConcurrency),
    // so both meet the same local-service latency.
    const invoker = async (): Promise<void> => {
      for (let i = next++; i < messages.length; i = next++) {
        for (let attempt = 0; attempt < 3; attempt++) {
          invocations++;
          const started = performance.now();
          try {
            await handler(snsEvent(messages[i] as string, i));
            break;
          } catch {
            // asynchronous invocation: Lambda retries twice, then drops the event (or sends it to a DLQ)
          } finally {
            durationMs += performance.now() - started;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: PROCESSING_SETTINGS.maxConcurrency }, invoker));
    return { messages: messages.length, invocations, durationMs, reading: meter.read() };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await meter.stop();
    await ses.stop();
    await pipeline.stop();
  }
}

function snsEvent(message: string, i: number): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:111111111111:ses-feedback:0000',
        Sns: {
          Type: 'Notification',
          MessageId: `naive-${i}`,
          TopicArn: 'arn:aws:sns:us-east-1:111111111111:ses-feedback',
          Subject: 'Amazon SES Email Event Notification',
          Message: message,
          Timestamp: '2026-11-23T09:00:00.000Z',
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem',
          UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
