/**
 * Dollars per million feedback events, from measured counts, durations and memory sizes and the
 * dated prices of prices.ts. Per-event costs only: fixed monthly costs (alarms, the KMS key, custom
 * metrics, the event source's empty long polls) do not grow with events and are left out.
 */
import type { LocalFunction } from '../local/function-worker.js';
import { PROCESSING_SETTINGS, SUPPRESSION_WRITER_SETTINGS } from '../lambdas/shared/settings.js';
import type { NaiveCalls, PipelineCalls } from './calls.js';
import { PRICES } from './prices.js';

/** Lambda writes START, END and REPORT lines for every invocation (about 350 bytes together). */
const PLATFORM_LOG_BYTES_PER_INVOCATION = 350;
/** The naive function at NodejsFunction's default memory size. */
const NAIVE_MEMORY_MB = 128;

export type CostLine = 'SNS publish (by SES)' | 'SQS' | 'Lambda requests' | 'Lambda compute' | 'DynamoDB writes' | 'DynamoDB reads' | 'S3' | 'EventBridge' | 'CloudWatch Logs';

export type CostPerMillion = Record<CostLine, number> & { total: number };

const MEMORY_MB: Record<LocalFunction, number> = {
  'process-feedback': PROCESSING_SETTINGS.memorySizeInMb,
  'write-suppressions': SUPPRESSION_WRITER_SETTINGS.memorySizeInMb,
};

export function pipelineCost(calls: PipelineCalls): CostPerMillion {
  const perMillion = 1e6 / calls.messages;
  const { reading } = calls;
  const fns = Object.entries(calls.invocations) as Array<[LocalFunction, { invocations: number; durationMs: number }]>;
  const invocations = fns.reduce((s, [, v]) => s + v.invocations, 0);
  const gbSeconds = fns.reduce((s, [fn, v]) => s + (v.durationMs / 1000) * (MEMORY_MB[fn] / 1024), 0);
  const sqsOps = reading.services.sqs.operations;
  const sqsRequests =
    calls.messages + // SNS delivering each message to the queue
    Object.entries(sqsOps).reduce((s, [op, n]) => s + (op === 'SendMessage' || op === 'SendMessageBatch' ? 0 : n), 0) -
    reading.sqs.emptyReceives + // idle polling is a fixed cost, not a per-event one
    reading.sqs.billedSendRequests;
  const s3 = reading.services.s3.operations;
  const logBytes = Object.values(calls.logBytes).reduce((a, b) => a + b, 0) + invocations * PLATFORM_LOG_BYTES_PER_INVOCATION;
  return withTotal({
    'SNS publish (by SES)': calls.messages * PRICES.snsPerPublish * perMillion,
    SQS: sqsRequests * PRICES.sqsPerRequest * perMillion,
    'Lambda requests': invocations * PRICES.lambdaPerRequest * perMillion,
    'Lambda compute': gbSeconds * PRICES.lambdaArmPerGbSecond * perMillion,
    'DynamoDB writes': reading.dynamodb.writeUnits * PRICES.dynamodbPerWriteUnit * perMillion,
    'DynamoDB reads': reading.dynamodb.readUnits * PRICES.dynamodbPerReadUnit * perMillion,
    // SES reads each import file once
    S3: ((s3.PutObject ?? 0) * PRICES.s3PerPut + ((s3.GetObject ?? 0) + calls.ses.importJobs) * PRICES.s3PerGet) * perMillion,
    EventBridge: calls.eventsPublished * PRICES.eventBridgePerEvent * perMillion,
    'CloudWatch Logs': (logBytes / 1024 ** 3) * PRICES.logsPerGb * perMillion,
  });
}

export function naiveCost(calls: NaiveCalls): CostPerMillion {
  const perMillion = 1e6 / calls.messages;
  return withTotal({
    'SNS publish (by SES)': calls.messages * PRICES.snsPerPublish * perMillion,
    SQS: 0,
    'Lambda requests': calls.invocations * PRICES.lambdaPerRequest * perMillion,
    'Lambda compute': (calls.durationMs / 1000) * (NAIVE_MEMORY_MB / 1024) * PRICES.lambdaArmPerGbSecond * perMillion,
    'DynamoDB writes': calls.reading.dynamodb.writeUnits * PRICES.dynamodbPerWriteUnit * perMillion,
    'DynamoDB reads': calls.reading.dynamodb.readUnits * PRICES.dynamodbPerReadUnit * perMillion,
    S3: 0,
    EventBridge: 0,
    'CloudWatch Logs': ((calls.invocations * PLATFORM_LOG_BYTES_PER_INVOCATION) / 1024 ** 3) * PRICES.logsPerGb * perMillion,
  });
}

function withTotal(lines: Record<CostLine, number>): CostPerMillion {
  return { ...lines, total: Object.values(lines).reduce((a, b) => a + b, 0) };
}
