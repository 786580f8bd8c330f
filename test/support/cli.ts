import { readFileSync } from 'node:fs';
import { main, type CliIo } from '../../cli/main.js';

/** What one `ses-feedback` command printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ses-feedback <argv>` in this process with `env` (e.g. SES_FEEDBACK_LOCAL) and an empty stdin, capturing its output. */
export async function runCli(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), readStdin: () => '', readFile: (path) => readFileSync(path, 'utf8'), env, stderrIsTTY: false };
  const code = await main(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}
