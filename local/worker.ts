/**
 * A local stand-in for the Lambda service: loads a REAL function entry (LOCAL_HANDLER, which reads its
 * configuration and AWS endpoints from the environment, as in Lambda) and feeds it from the local
 * queue with SQS event-source semantics until SIGTERM. Run by LocalPipeline as a child process, so
 * a test can kill it mid-batch like a crashed Lambda.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { LocalEventSource, type SqsHandler } from './event-source.js';

function main(): void {
  const queueUrl = required('LOCAL_QUEUE_URL');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the environment is set, as Lambda does
  const { handler } = require(`../lambdas/handlers/${required('LOCAL_HANDLER')}.js`) as { handler: SqsHandler };
  const source = new LocalEventSource({
    sqs: new SQSClient({ useQueueUrlAsEndpoint: false }),
    queueUrl,
    queueArn: required('LOCAL_QUEUE_ARN'),
    handler,
    concurrency: Number(required('LOCAL_POLLERS')),
    batchSize: Number(required('LOCAL_BATCH_SIZE')),
    maxBatchingWindowMs: Number(process.env.LOCAL_BATCHING_WINDOW_MS ?? 0),
    timeoutMs: Number(required('LOCAL_FUNCTION_TIMEOUT_MS')),
    onInvocation: (records, durationMs) => process.send?.({ invocation: { records, durationMs } }),
    onTimeout: () => {
      // As Lambda does on a timeout: the sandbox ends, whatever it was doing.
      console.error('worker: invocation timed out; exiting');
      process.exit(3);
    },
  });
  source.start();
  process.send?.({ ready: true });
  const stop = (): void => {
    void source.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The parent died without stopping us: end too, like a sandbox whose service is gone.
  process.once('disconnect', () => process.exit(0));
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

try {
  main();
} catch (error) {
  console.error(`worker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
