import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { killOnExit, stopChild } from './dynamodb-local.js';

/** One function's invocations so far (every worker process it had), for the bench. */
export interface InvocationStats {
  invocations: number;
  records: number;
  durationMs: number;
}

/**
 * The stack's functions, run locally as worker processes: one per event source, as Lambda polls
 * each source separately (`follow-imports` is the writer function on its import-job queue).
 */
export type LocalFunction = 'process-feedback' | 'write-suppressions' | 'follow-imports';

/** The stack's functions by the name their code and role go by (`follow-imports` is the writer). */
export type FunctionName = Exclude<LocalFunction, 'follow-imports'> | 'watch-reputation' | 'pause-sending';

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

/** One function's worker process, restarted when it dies unless the pipeline is stopping. */
export class FunctionWorker {
  private process: ChildProcess | undefined;
  private starting: Promise<ChildProcess> | undefined;
  private log: WriteStream | undefined;
  public restarts = 0;
  public readonly stats: InvocationStats = { invocations: 0, records: 0, durationMs: 0 };

  public constructor(
    private readonly fn: LocalFunction,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly stopping: () => boolean,
  ) {}

  public async start(): Promise<ChildProcess> {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) return this.process;
    this.starting ??= this.spawn().finally(() => (this.starting = undefined));
    return this.starting;
  }

  public kill(): void {
    this.process?.kill('SIGKILL');
  }

  public async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    if (this.process) await stopChild(this.process);
    this.log?.end();
  }

  private async spawn(): Promise<ChildProcess> {
    mkdirSync(this.logDir, { recursive: true });
    const log = (this.log ??= createWriteStream(join(this.logDir, `${this.fn}.log`), { flags: 'a' }));
    const worker = forkEntry('worker.ts', this.env);
    // One log for every worker the run starts; a pipe must not close it when its worker ends.
    worker.stdout?.pipe(log, { end: false });
    worker.stderr?.pipe(log, { end: false });
    worker.on('message', (message: { invocation?: { records: number; durationMs: number } }) => {
      if (!message.invocation) return;
      this.stats.invocations++;
      this.stats.records += message.invocation.records;
      this.stats.durationMs += message.invocation.durationMs;
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('exit', (code) => reject(new Error(`the ${this.fn} worker exited during start-up (code ${code}); see ${this.logDir}`)));
    });
    worker.once('exit', () => {
      if (this.stopping()) return;
      this.restarts++;
      void this.start().catch(() => undefined);
    });
    this.process = worker;
    return worker;
  }
}
