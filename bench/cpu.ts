/**
 * CPU per feedback event: the processing function's own work on one SQS record (read the SNS
 * envelope and the SES message, validate, classify, build the audit record, apply the soft-bounce
 * policy), with the store answering at once, against the floor any handler pays: two `JSON.parse`
 * calls per record (the envelope and the SES message inside it).
 */
import type { SQSRecord } from 'aws-lambda';
import { addSoftBounce, type SoftBouncePolicy } from '../lambdas/process-feedback/soft-bounce-policy.js';
import { FeedbackProcessor } from '../lambdas/process-feedback/feedback-processor.js';
import { readSqsBody } from '../lambdas/process-feedback/envelope.js';
import { type FeedbackStore } from '../lambdas/process-feedback/ports.js';

export interface CpuFigures {
  readonly records: number;
  /** Microseconds per record, best of the rounds. */
  readonly floorMicros: number;
  readonly pipelineMicros: number;
  readonly decisions: number;
}

/** A store with no I/O: what is left is the processor's own CPU. */
const instantStore: FeedbackStore = {
  putEvent: () => Promise.resolve('new'),
  addSoftBounce: (_address, eventKey, at, policy) => Promise.resolve(addSoftBounce({ softBounces: {} }, eventKey, at, policy)),
  addDelivery: () => Promise.resolve({ withdraw: false }),
};

const POLICY: SoftBouncePolicy = { threshold: 5, windowInDays: 14 };

export async function measureCpu(records: readonly SQSRecord[], rounds: number): Promise<CpuFigures> {
  const processor = new FeedbackProcessor({ store: instantStore, softBouncePolicy: POLICY, campaignTagName: 'campaign', clock: () => new Date(0) });
  let decisions = 0;
  const floorRun = (): number => {
    let sink = 0;
    for (const record of records) {
      const envelope = JSON.parse(record.body) as { Message: string };
      sink += (JSON.parse(envelope.Message) as object) ? 1 : 0;
    }
    return sink;
  };
  const pipelineRun = async (): Promise<number> => {
    let count = 0;
    for (const record of records) {
      for (const input of readSqsBody(record.body)) {
        if (input.kind === 'feedback') count += (await processor.process(input.message)).applied.length;
      }
    }
    return count;
  };
  let floor = Infinity;
  let pipeline = Infinity;
  // Alternate the two so that a noisy moment of the machine hits both; keep each one's best round.
  for (let round = 0; round < rounds; round++) {
    let t = process.hrtime.bigint();
    floorRun();
    floor = Math.min(floor, Number(process.hrtime.bigint() - t) / 1000 / records.length);
    t = process.hrtime.bigint();
    decisions = await pipelineRun();
    pipeline = Math.min(pipeline, Number(process.hrtime.bigint() - t) / 1000 / records.length);
  }
  return { records: records.length, floorMicros: floor, pipelineMicros: pipeline, decisions };
}
