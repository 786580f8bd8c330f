/**
 * Runs a REAL function entry invoked by EventBridge (LOCAL_HANDLER, configured from the environment
 * as in Lambda) once on the event in LOCAL_EVENT (a schedule's, an alarm state change), and tells
 * the parent what it returned or why it failed. Run by LocalPipeline as a child process.
 */
type EventHandler = (event: unknown) => Promise<unknown>;

async function main(): Promise<unknown> {
  const name = process.env.LOCAL_HANDLER;
  if (!name) throw new Error('LOCAL_HANDLER is not set');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the environment is set, as Lambda does
  const { handler } = require(`../lambdas/${name}/index.js`) as { handler: EventHandler };
  return handler(JSON.parse(process.env.LOCAL_EVENT ?? '{}'));
}

/** Sends the answer to the parent, then ends (exiting first could lose the message). */
function answer(message: { result?: unknown; error?: string }, code: number): void {
  if (process.send) process.send(message, () => process.exit(code));
  else process.exit(code);
}

main().then(
  (result) => answer({ result }, 0),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`invoke-once: ${message}`);
    answer({ error: message }, 1);
  },
);
