import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, main, type CliIo } from '../../cli/main.js';
import { buildCli, CLI_ENTRY_FILE } from '../../scripts/build-cli.js';
import { fixture } from '../support/fixtures.js';

async function run(argv: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: () => stdin,
    readFile: (path) => fixture(path),
  };
  const code = await main(argv, io);
  const stdout = out.join('');
  return {
    code,
    stdout,
    stderr: err.join(''),
    get lines(): any[] {
      return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
  };
}

describe('ses-feedback classify', () => {
  it('gives a pretty-printed document it refuses one reason, not one error per line', async () => {
    const pretty = JSON.stringify(JSON.parse(fixture('sns-to-sqs-message-body-generic-awsdoc.json')), null, 2);
    const { code, stderr } = await run(['classify', '-'], pretty);
    expect(code).toBe(EXIT.unreadableInput);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^ses-feedback: [^\n]+\n$/);
  });

  it('prints the decisions of the readable recipients and one masked line for each it cannot decide, exit 1', async () => {
    const input = JSON.stringify({
      ...JSON.parse(fixture('eventpub-bounce-permanent-general.json')),
      bounce: { ...JSON.parse(fixture('eventpub-bounce-permanent-general.json')).bounce, bouncedRecipients: [{ emailAddress: 'good@example.com' }, { emailAddress: '"john doe"@example.com' }] },
    });
    const { code, lines, stderr } = await run(['classify', '-'], input);
    expect(code).toBe(EXIT.unreadableInput);
    expect(lines.map((l) => l.address)).toEqual(['good@example.com']);
    expect(stderr).toBe('ses-feedback: Bounce recipient 2 of 2 (***@example.com): SES would refuse this address: quoted local part (SES takes dot-atom local parts only)\n');
  });

  it('prints one JSON object per decision with the contract fields', async () => {
    const { code, lines } = await run(['classify', 'notif-bounce-permanent-general-no-dsn-multi-recipient.json']);
    expect(code).toBe(EXIT.ok);
    expect(lines).toEqual([
      expect.objectContaining({ address: 'jane@example.com', action: 'suppress', reason: 'BOUNCE', eventType: 'Bounce', messageId: expect.any(String) }),
      expect.objectContaining({ address: 'richard@example.com', action: 'suppress', reason: 'BOUNCE', eventType: 'Bounce' }),
    ]);
  });

  it('reads standard input with -', async () => {
    const { code, lines } = await run(['classify', '-'], fixture('derived/eventpub-complaint-not-spam.json'));
    expect(code).toBe(EXIT.ok);
    expect(lines).toEqual([expect.objectContaining({ action: 'record', reason: null, eventType: 'Complaint', configurationSet: 'ConfigSet' })]);
  });

  it('reads every record of a Lambda SQS event', async () => {
    const { lines } = await run(['classify', 'derived/sqs-event-notif-complaint-abuse-with-feedback.json']);
    expect(lines).toEqual([expect.objectContaining({ address: 'richard@example.com', action: 'suppress', reason: 'COMPLAINT' })]);
  });

  it('reads JSON lines, one message per line', async () => {
    const input = [fixture('eventpub-bounce-permanent-general.json'), fixture('derived/eventpub-bounce-transient-mailboxfull.json')]
      .map((text) => JSON.stringify(JSON.parse(text)))
      .join('\n');
    const { code, lines } = await run(['classify', '-'], input);
    expect(code).toBe(EXIT.ok);
    expect(lines.map((l) => l.action)).toEqual(['suppress', 'count']);
  });

  it('prints nothing and exits 0 for a message that is not feedback', async () => {
    const { code, stdout, stderr } = await run(['classify', 'sns-envelope-eventpub-topic-validation-message.json']);
    expect([code, stdout, stderr]).toEqual([EXIT.ok, '', '']);
  });

  it('fails with a one-line error and exit 1 on input it cannot read', async () => {
    const { code, stdout, stderr } = await run(['classify', '-'], 'hello');
    expect(code).toBe(EXIT.unreadableInput);
    expect(stdout).toBe('');
    expect(stderr).toBe('ses-feedback: message is not JSON\n');
  });

  it('fails with the line number of a bad JSON line and still prints the good lines', async () => {
    const good = JSON.stringify(JSON.parse(fixture('eventpub-complaint-abuse.json')));
    const { code, lines, stderr } = await run(['classify', '-'], `${good}\n{"eventType":\n${good}\n`);
    expect(code).toBe(EXIT.unreadableInput);
    expect(lines).toHaveLength(2);
    expect(stderr).toBe('ses-feedback: line 2: message is not valid JSON\n');
  });

  it('fails with exit 1 on a missing file, naming it, without a stack trace', async () => {
    const io: CliIo = {
      stdout: () => undefined,
      stderr: (t) => err.push(t),
      readStdin: () => '',
      readFile: () => {
        throw Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
      },
    };
    const err: string[] = [];
    expect(await main(['classify', 'missing.json'], io)).toBe(EXIT.unreadableInput);
    expect(err).toEqual(['ses-feedback: cannot read missing.json: no such file\n']);
  });

  it.each([[[]], [['classify']], [['classify', 'a', 'b']], [['launch']], [['--bogus']]])('fails with exit 2 on usage %j', async (argv) => {
    expect((await run(argv)).code).toBe(EXIT.usage);
  });

  it('shows help with examples on --help and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('npx ses-feedback classify bounce.json');
  });
});

describe('the ses-feedback binary', () => {
  let bin: string;
  beforeAll(async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ses-feedback-'));
    // `npm run build:cli`'s build, from the current sources.
    await buildCli(outdir);
    bin = join(outdir, CLI_ENTRY_FILE);
  });

  it('runs as a process: decisions on stdout, exit 0', async () => {
    const result = spawnSync(process.execPath, [bin, 'classify', '-'], { input: fixture('eventpub-bounce-permanent-general.json'), encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ address: 'recipient@example.com', action: 'suppress', reason: 'BOUNCE' });
  });

  it('exits 1 with one line on stderr and no stack trace for unreadable input', async () => {
    const result = spawnSync(process.execPath, [bin, 'classify', '-'], { input: '{"eventType":"Bounce"}', encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('ses-feedback: not a valid SES message: bounce: expected object\n');
  });
});
