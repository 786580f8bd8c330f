import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { redactAddresses } from '../lambdas/domain/index.js';
import { classifyText } from './classify-command.js';

/** Where the CLI reads and writes; injected so tests run it in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => string;
  readonly readFile: (path: string) => string;
}

export const EXIT = { ok: 0, unreadableInput: 1, usage: 2 } as const;

const USAGE = `Usage: ses-feedback <command> [options]

Commands:
  classify <file|->   What the pipeline would do with an SES message, offline.
                      Reads one JSON document (bare SES message, SNS envelope, SNS->SQS body,
                      Lambda SQS or SNS event) or JSON lines; prints one JSON object per decision.

Options:
  -h, --help          Show this help.

Examples:
  npx ses-feedback classify bounce.json
  aws sqs receive-message --queue-url "$DLQ" --query 'Messages[0].Body' --output text | npx ses-feedback classify -

Exit status: 0 when every input was read (including messages that are not feedback, which print
nothing), 1 when some input could not be read, 2 on a usage error.
`;

export function main(argv: string[], io: CliIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    io.stderr(`ses-feedback: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === 'help') {
    (command === undefined && !parsed.values.help ? io.stderr : io.stdout)(USAGE);
    return command === undefined && !parsed.values.help ? EXIT.usage : EXIT.ok;
  }
  switch (command) {
    case 'classify':
      return classify(rest, io);
    default:
      io.stderr(`ses-feedback: unknown command '${command}' (try --help)\n`);
      return EXIT.usage;
  }
}

function classify(args: string[], io: CliIo): number {
  if (args.length !== 1) {
    io.stderr('ses-feedback classify: give one file, or - for standard input\n');
    return EXIT.usage;
  }
  const source = args[0] as string;
  let text: string;
  try {
    text = source === '-' ? io.readStdin() : io.readFile(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    io.stderr(`ses-feedback: cannot read ${source}: ${why}\n`);
    return EXIT.unreadableInput;
  }
  const { decisions, errors } = classifyText(text);
  for (const decision of decisions) io.stdout(`${JSON.stringify(decision)}\n`);
  for (const error of errors) io.stderr(`ses-feedback: ${redactAddresses(error)}\n`);
  return errors.length > 0 ? EXIT.unreadableInput : EXIT.ok;
}

/** The real process's streams and file system. */
export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0, 'utf8'),
  readFile: (path) => readFileSync(path, 'utf8'),
};
