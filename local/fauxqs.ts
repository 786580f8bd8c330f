import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { killOnExit, LOCAL_CLIENT_CONFIG, stopChild, type RunningService } from './dynamodb-local.js';
import { freePort, waitFor } from './ports.js';

/**
 * Starts fauxqs (SNS + SQS, npm package pinned at 1.9.2: 2.x needs Node 22) as a child process on
 * a free port, and waits until SQS answers. fauxqs is ESM-only, hence a process, not an import.
 */
export async function startFauxqs(): Promise<RunningService> {
  const port = await freePort();
  // fauxqs exports no CLI path (ESM-only package): run its bin from the project's node_modules.
  const child = spawn(process.execPath, [join(__dirname, '..', 'node_modules', 'fauxqs', 'dist', 'cli.js')], {
    env: { ...process.env, FAUXQS_PORT: String(port), FAUXQS_HOST: '127.0.0.1', FAUXQS_LOGGER: 'false', FAUXQS_DEFAULT_REGION: LOCAL_CLIENT_CONFIG.region },
    stdio: 'ignore',
  });
  killOnExit(child);
  const endpoint = `http://127.0.0.1:${port}`;
  const sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint });
  try {
    await waitFor('fauxqs', () => sqs.send(new ListQueuesCommand({})));
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    sqs.destroy();
  }
  return { endpoint, pid: child.pid ?? -1, stop: () => stopChild(child) };
}
