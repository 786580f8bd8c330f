import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { CliError, type DeadLetterRoute, type Target } from './target.js';

export interface RedriveOptions {
  /** Only this source queue's dead letters. @default both */
  readonly source?: DeadLetterRoute['source'];
  /** SQS's MaxNumberOfMessagesPerSecond (at most 500). @default SQS's own pace */
  readonly messagesPerSecond?: number;
  readonly pollSeconds: number;
  readonly timeoutSeconds: number;
  readonly progress?: (line: string) => void;
}

/** What the redrive of one dead-letter queue did. */
export interface RedriveResult {
  readonly source: DeadLetterRoute['source'];
  /** `empty`: nothing to move; `RUNNING`: still moving when the wait ended (SQS goes on). */
  readonly status: 'empty' | 'COMPLETED' | 'CANCELLED' | 'FAILED' | 'RUNNING';
  readonly moved: number;
  readonly toMove: number;
  readonly failureReason?: string;
}

/**
 * `ses-feedback dead-letters redrive`: moves each dead-letter queue's messages back to the one
 * source queue they came from, with SQS's own message move task (`StartMessageMoveTask` with that
 * queue as the destination, so a message a function parked there goes back too), and waits for
 * each task to end. The functions then take them as any new message: fix the cause first.
 */
export async function redriveDeadLetters(target: Target, options: RedriveOptions): Promise<RedriveResult[]> {
  const sqs = target.client('sqs', SQSClient);
  const routes = target.deadLetterQueues.filter((route) => options.source === undefined || route.source === options.source);
  const results: RedriveResult[] = [];
  for (const route of routes) {
    const [dlq, source] = await Promise.all([attributesOf(sqs, route.deadLetterQueueUrl), attributesOf(sqs, route.sourceQueueUrl)]);
    if (dlq.waiting === 0) {
      results.push({ source: route.source, status: 'empty', moved: 0, toMove: 0 });
      continue;
    }
    try {
      await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: source.arn, MaxNumberOfMessagesPerSecond: options.messagesPerSecond }));
    } catch (error) {
      if (/already a task running/i.test((error as Error).message)) {
        throw new CliError(`a redrive of the ${route.source} dead letters is already running: wait for it (aws sqs list-message-move-tasks --source-arn ${dlq.arn}) and run this again`);
      }
      throw error;
    }
    results.push(await followTask(sqs, route.source, dlq.arn, options));
  }
  return results;
}

async function followTask(sqs: SQSClient, source: DeadLetterRoute['source'], sourceArn: string, options: RedriveOptions): Promise<RedriveResult> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (;;) {
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = Results[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    const toMove = task?.ApproximateNumberOfMessagesToMove ?? moved;
    const status = task?.Status;
    if (status === 'COMPLETED' || status === 'CANCELLED' || status === 'FAILED') {
      return { source, status, moved, toMove, ...(task?.FailureReason ? { failureReason: task.FailureReason } : {}) };
    }
    options.progress?.(`${source}: ${moved} of ${toMove} moved back (${toMove === 0 ? 0 : Math.floor((moved / toMove) * 100)} %)`);
    if (Date.now() >= deadline) return { source, status: 'RUNNING', moved, toMove };
    await new Promise((resolve) => setTimeout(resolve, options.pollSeconds * 1000));
  }
}

async function attributesOf(sqs: SQSClient, queueUrl: string): Promise<{ arn: string; waiting: number }> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }));
  if (!Attributes.QueueArn) throw new CliError(`queue ${queueUrl} has no ARN: is it the stack's?`);
  return { arn: Attributes.QueueArn, waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0) };
}

/** One line per queue, for the operator. */
export function formatRedrive(results: readonly RedriveResult[]): string {
  const destination = { feedback: 'the feedback queue', suppressions: 'the suppression queue' } as const;
  return results
    .map((r) => {
      switch (r.status) {
        case 'empty':
          return `${r.source}: no dead letters\n`;
        case 'COMPLETED':
          return `${r.source}: ${r.moved} of ${r.toMove} moved back to ${destination[r.source]}\n`;
        case 'RUNNING':
          return `${r.source}: ${r.moved} of ${r.toMove} moved so far; SQS goes on moving the rest\n`;
        default:
          return `${r.source}: ${r.status} after ${r.moved} of ${r.toMove}${r.failureReason ? `: ${r.failureReason}` : ''}\n`;
      }
    })
    .join('');
}
