/**
 * A function for testing the local Lambda runtime itself. Each record's body is
 * `{"name": ..., "firstSleepMs"?: ..., "untilFile"?: ...}`: the handler logs `start <name>`, sleeps
 * `firstSleepMs` on the record's first receive (not after), waits until `untilFile` exists, then
 * logs `done <name> <remaining ms>` and reports success.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { existsSync } from 'node:fs';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  for (const record of event.Records) {
    const { name, firstSleepMs = 0, untilFile } = JSON.parse(record.body) as { name: string; firstSleepMs?: number; untilFile?: string };
    console.log(`start ${name}`);
    if (record.attributes.ApproximateReceiveCount === '1') await sleep(firstSleepMs);
    while (untilFile !== undefined && !existsSync(untilFile)) await sleep(20);
    console.log(`done ${name} ${context.getRemainingTimeInMillis()}`);
  }
  return { batchItemFailures: [] };
}
