import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { killOnExit, stopChild } from './dynamodb-local.js';
import { LocalEventSource } from './event-source.js';
import type { InvokeMessage, SandboxMessage } from './sandbox.js';

/** One function's invocations so far (every sandbox it had), for the bench. */
export interface InvocationStats {
  invocations: number;
  records: number;
  durationMs: number;
}

/** The stack's functions fed by an SQS event source, one local worker each, as Lambda polls each source. */
export type LocalFunction = 'process-feedback' | 'write-suppressions';

/** The stack's functions by the name their code and role go by. */
export type FunctionName = LocalFunction | 'watch-reputation' | 'pause-sending';

/** A child process running a file of local/ (TypeScript, through tsx) with exactly `env`; ended with its parent. */
export function forkEntry(file: string, env: Record<string, string>): ChildProcess {
  const child = fork(join(__dirname, file), [], {
    execArgv: ['--require', require.resolve('tsx/cjs')],
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  killOnExit(child);
  return child;
}

/**
 * What Lambda does for one function on one SQS event source, locally: the event source polls the
 * queue here, and each invocation runs in a sandbox process that runs one invocation at a time.
 * A poller takes an idle sandbox, or starts a new one when its own has ended (so there are never
 * more sandboxes than pollers). An invocation that outlives the function's timeout
 * ends its own sandbox, as Lambda ends one, and only its records come back after the visibility
 * timeout; the other sandboxes' invocations run on.
 */
export class FunctionWorker {
  private readonly idle: Sandbox[] = [];
  private readonly live = new Set<Sandbox>();
  private source: LocalEventSource | undefined;
  private sqs: SQSClient | undefined;
  private log: WriteStream | undefined;
  private invocationCount = 0;
  /** Sandboxes that ended before the worker stopped: a timeout, a crash or a kill. */
  public restarts = 0;
  public readonly stats: InvocationStats = { invocations: 0, records: 0, durationMs: 0 };

  public constructor(
    private readonly fn: LocalFunction,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
  ) {}

  /** Starts polling, with a sandbox started per poller (so a function that cannot load fails here). */
  public async start(): Promise<void> {
    if (this.source) return;
    const env = this.env;
    const sqs = (this.sqs = new SQSClient({
      region: env.AWS_REGION,
      endpoint: env.AWS_ENDPOINT_URL_SQS,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
      // The event source polls with the function's role: the call meter counts its calls as the function's.
      userAgentAppId: env.AWS_SDK_UA_APP_ID,
      useQueueUrlAsEndpoint: false,
    }));
    this.source = new LocalEventSource({
      sqs,
      queueUrl: required(env, 'LOCAL_QUEUE_URL'),
      queueArn: required(env, 'LOCAL_QUEUE_ARN'),
      invoke: (event) => this.invoke(event),
      concurrency: Number(required(env, 'LOCAL_POLLERS')),
      batchSize: Number(required(env, 'LOCAL_BATCH_SIZE')),
      maxBatchingWindowMs: Number(env.LOCAL_BATCHING_WINDOW_MS ?? 0),
    });
    // Warm, as a function that has been running has its sandboxes: one per poller.
    const sandboxes = Math.min(this.source.concurrency, Number(env.LOCAL_SANDBOXES ?? Infinity));
    this.idle.push(...(await Promise.all(Array.from({ length: sandboxes }, () => this.spawn()))));
    this.source.start();
  }

  /** Kills every sandbox at once, as crashed sandboxes end; new ones start when invocations need them. */
  public kill(): void {
    for (const sandbox of this.live) sandbox.kill();
  }

  /** Stops polling, lets the invocations in flight finish, then ends every sandbox. */
  public async stop(): Promise<void> {
    const source = this.source;
    this.source = undefined;
    await source?.stop();
    await Promise.all([...this.live].map((sandbox) => sandbox.stop()));
    this.sqs?.destroy();
    this.log?.end();
  }

  private async invoke(event: SQSEvent): Promise<SQSBatchResponse> {
    const sandbox = this.idle.pop() ?? this.shared() ?? (await this.spawn());
    const started = performance.now();
    try {
      const response = await sandbox.invoke(event, `local-${this.fn}-${++this.invocationCount}`, Number(required(this.env, 'LOCAL_FUNCTION_TIMEOUT_MS')));
      this.stats.invocations++;
      this.stats.records += event.Records.length;
      this.stats.durationMs += performance.now() - started;
      return response;
    } finally {
      if (sandbox.alive && sandbox.busy === 0 && !this.idle.includes(sandbox)) this.idle.push(sandbox);
    }
  }

  /** With LOCAL_SANDBOXES set below the pollers, a live sandbox takes one more invocation once that many run. */
  private shared(): Sandbox | undefined {
    const most = Number(this.env.LOCAL_SANDBOXES ?? Infinity);
    if (this.live.size < most) return undefined;
    return [...this.live].sort((a, b) => a.busy - b.busy)[0];
  }

  private async spawn(): Promise<Sandbox> {
    mkdirSync(this.logDir, { recursive: true });
    const log = (this.log ??= createWriteStream(join(this.logDir, `${this.fn}.log`), { flags: 'a' }));
    const sandbox = await Sandbox.start(this.env, log, this.fn);
    this.live.add(sandbox);
    void sandbox.ended.then(() => {
      this.live.delete(sandbox);
      const at = this.idle.indexOf(sandbox);
      if (at >= 0) this.idle.splice(at, 1);
      if (this.source) this.restarts++;
    });
    return sandbox;
  }
}

/** One sandbox process, seen from the worker. */
class Sandbox {
  public readonly ended: Promise<void>;
  private readonly pending = new Map<string, { resolve: (response: SQSBatchResponse) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly log: WriteStream,
    private readonly fn: LocalFunction,
  ) {
    this.ended = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (message: SandboxMessage) => {
      const waiting = 'id' in message ? this.pending.get(message.id) : undefined;
      if (!waiting || !('id' in message)) return;
      this.pending.delete(message.id);
      if (message.response) waiting.resolve(message.response);
      else waiting.reject(new Error(message.error ?? 'no response'));
    });
    child.once('exit', (code, signal) => {
      for (const waiting of this.pending.values()) waiting.reject(new Error(`the sandbox ended (${signal ?? `code ${code}`})`));
      this.pending.clear();
    });
  }

  /** Forks a sandbox and waits until it has loaded the function. */
  public static async start(env: Record<string, string>, log: WriteStream, fn: LocalFunction): Promise<Sandbox> {
    const child = forkEntry('sandbox.ts', env);
    // One log for every sandbox the function has; a sandbox that ends must not close it.
    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`a ${fn} sandbox exited during start-up (code ${code}); see ${log.path.toString()}`)));
    });
    return new Sandbox(child, log, fn);
  }

  /** Invocations running in it now. */
  public get busy(): number {
    return this.pending.size;
  }

  public get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && !this.child.killed;
  }

  /** Runs one invocation; past `timeoutMs` the sandbox is ended, as Lambda ends one on a timeout. */
  public invoke(event: SQSEvent, id: string, timeoutMs: number): Promise<SQSBatchResponse> {
    return new Promise<SQSBatchResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.log.write(`${JSON.stringify({ level: 'ERROR', message: `local ${this.fn}: invocation ${id} timed out after ${timeoutMs} ms; its sandbox ends and its ${event.Records.length} records come back after the visibility timeout` })}\n`);
        this.kill();
      }, timeoutMs);
      const done = <T>(settle: (value: T) => void) => (value: T): void => {
        clearTimeout(timer);
        settle(value);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      this.child.send({ invoke: { id, event, timeoutMs } } satisfies InvokeMessage);
    });
  }

  public kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  public async stop(): Promise<void> {
    await stopChild(this.child);
  }
}

function required(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
