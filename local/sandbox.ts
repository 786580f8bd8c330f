/**
 * One local Lambda sandbox: loads a REAL function entry (LOCAL_HANDLER, which reads its
 * configuration and AWS endpoints from the environment, as in Lambda) and runs the invocations its
 * parent sends (one at a time, unless LOCAL_SANDBOXES shares it), with a context whose remaining time counts down to the function's
 * timeout. The parent ({@link FunctionWorker}) polls the queue and ends this process when an
 * invocation overruns, as Lambda ends a sandbox; neighbours in other sandboxes run on.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { basename, isAbsolute } from 'node:path';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** What the parent sends: one invocation. */
export interface InvokeMessage {
  readonly invoke: { readonly id: string; readonly event: SQSEvent; readonly timeoutMs: number };
}

/** What a sandbox answers: ready once loaded, then each invocation's response or error. */
export type SandboxMessage = { readonly ready: true } | { readonly id: string; readonly response?: SQSBatchResponse; readonly error?: string };

function main(): void {
  const name = process.env.LOCAL_HANDLER;
  if (!name) throw new Error('LOCAL_HANDLER is not set');
  // A function of the stack by name; a test's handler by its absolute path.
  const entry = isAbsolute(name) ? name : `../lambdas/${name}/index.js`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the environment is set, as Lambda does
  const { handler } = require(entry) as { handler: SqsHandler };
  process.on('message', (message: InvokeMessage) => {
    const { id, event, timeoutMs } = message.invoke;
    const deadline = Date.now() + timeoutMs;
    const context = { functionName: `${basename(name)}-local`, awsRequestId: id, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) } as Context;
    handler(event, context).then(
      (response) => send({ id, response }),
      (error: unknown) => send({ id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  send({ ready: true });
  // The parent died without stopping us: end too, like a sandbox whose service is gone.
  process.once('disconnect', () => process.exit(0));
}

function send(message: SandboxMessage): void {
  process.send?.(message);
}

try {
  main();
} catch (error) {
  console.error(`sandbox: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
