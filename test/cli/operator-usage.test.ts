import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, main, type CliIo } from '../../cli/main.js';
import { describeError } from '../../cli/target.js';

/** The operator commands' one-line errors and usage checks: nothing here reaches a service. */

const dir = mkdtempSync(join(tmpdir(), 'ses-feedback-usage-'));
const env: NodeJS.ProcessEnv = { SES_FEEDBACK_LOCAL: join(dir, 'missing.json') };

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), readStdin: () => '', readFile: () => '', env, stderrIsTTY: false };
  const code = await main(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('one-line errors', () => {
  it('says how to start a local pipeline when none runs', async () => {
    const { code, stderr } = await cli('status');
    expect(code).toBe(EXIT.failed);
    expect(stderr).toBe(`ses-feedback: no local pipeline is running (${join(dir, 'missing.json')} not found): start one with 'npm start -- --keep-running'\n`);
  });

  it.each([
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'no AWS credentials found: set AWS_PROFILE, run `aws sso login` or `aws configure`, or use --local'],
    [new Error('Region is missing'), 'no AWS region set: pass --region or set AWS_REGION'],
    [Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' }), 'AWS rejected the credentials (ExpiredTokenException): refresh them (aws sso login) or pick another profile'],
    [Object.assign(new Error('Your account is in the sandbox'), { name: 'BadRequestException' }), 'this SES account is in the sandbox, where the suppression-list API cannot be called: request production access (Your account is in the sandbox)'],
    [Object.assign(new Error('User is not authorized to perform: ses:CreateImportJob'), { name: 'AccessDeniedException' }), 'not allowed: User is not authorized to perform: ses:CreateImportJob (the credentials need the permissions listed in README, "Operator commands")'],
  ])('maps %s to one line', (error, line) => {
    expect(describeError(error)).toBe(line);
  });

  it.each([
    [['suppression'], "ses-feedback suppression: unknown subcommand '': use import, export or remove (try --help)\n"],
    [['suppression', 'import'], 'ses-feedback suppression: give one file (try --help)\n'],
    [['suppression', 'export', '--since', 'yesterday'], "ses-feedback suppression: --since must be a date (ISO 8601, e.g. 2026-11-01), got 'yesterday' (try --help)\n"],
    [['suppression', 'import', 'x.csv', '--reason', 'SPAM'], "ses-feedback suppression: --reason must be BOUNCE or COMPLAINT, got 'SPAM' (try --help)\n"],
    [['suppression', 'import', 'x.csv', '--timeout', '0'], "ses-feedback suppression: --timeout must be a number of seconds above 0, got '0' (try --help)\n"],
  ])('rejects %j with exit 2', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toBe(message);
  });
});
