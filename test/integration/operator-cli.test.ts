import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { EXIT } from '../../cli/main.js';
import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SuppressionMessage } from '../../lambdas/shared/suppression.js';
import { runCli, type CliRun } from '../support/cli.js';
import { addressKey, FEEDBACK_TABLE } from '../../lambdas/shared/contract.js';
import type { Status } from '../../cli/status-command.js';
import { DynamoGuardrailLog } from '../../lambdas/pause-sending/adapters/dynamo-guardrail-log.js';
import { DynamoSuppressionLedger } from '../../lambdas/write-suppressions/adapters/dynamo-suppression-ledger.js';
import { parseSuppressionFile } from '../../cli/suppression-commands.js';
import { DEFAULT_STACK_CONFIGURATION_SETS, DEFAULT_STACK_NAME } from '../../lambdas/shared/contract.js';
import { LocalPipeline } from '../../local/pipeline.js';
import { bounce } from '../../local/ses-events.js';

/**
 * The operator commands (`ses-feedback suppression ...`, `status`) against the local pipeline,
 * found through its endpoints file as `--local` finds it, driving the real SDK clients.
 */
jest.setTimeout(600_000);

/** Rows of the import file: a flood, so the writer takes them in import jobs. */
const ROWS = 1_200;
let pipeline: LocalPipeline;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  pipeline = await LocalPipeline.start({ timeCompression: 20, logDir: '.local/logs/operator' });
  // Every change to the SES list goes through the writer: the CLI hands it over and waits.
  await pipeline.startWorker();
  dir = mkdtempSync(join(tmpdir(), 'ses-feedback-cli-'));
  const endpoints = join(dir, 'endpoints.json');
  pipeline.writeEndpointsFile(endpoints);
  env = { SES_FEEDBACK_LOCAL: endpoints };
});
afterAll(() => pipeline?.stop());

const cli = (...argv: string[]): Promise<CliRun> => runCli(env, ...argv);

describe('suppression import and export: 1,200 rows, about 1 % invalid, through the writer', () => {
  /** Line numbers (1-based, the header is line 1) of the rows that are invalid, and why. */
  const invalid = new Map<number, string>();
  const valid = new Set<string>();
  let file: string;

  beforeAll(() => {
    const lines = ['email,reason'];
    const broken = ['not-an-address', 'two@@example.com', '.dot@example.com', 'nodomain@', 'a@b'];
    for (let i = 0; i < ROWS; i++) {
      if (i % 100 === 37) {
        const bad = broken[i % broken.length] as string;
        lines.push(`${bad},BOUNCE`);
        invalid.set(lines.length, bad);
      } else if (i % 100 === 50) {
        lines.push(`user${i}@example.org,SPAM`); // a valid address with a bad reason is a bad row too
        invalid.set(lines.length, 'reason');
      } else {
        const address = `user${i}@list${i % 97}.example.com`;
        lines.push(`${address},${i % 50 === 0 ? 'COMPLAINT' : ''}`);
        valid.add(address);
      }
    }
    file = join(dir, 'old-bounces.csv');
    writeFileSync(file, lines.join('\n'));
  });

  it('imports every valid row through the writer\'s import jobs, waits for each, and reports each invalid row by line number', async () => {
    const before = pipeline.ses.getStats().succeeded.CreateImportJob ?? 0;
    const { code, stderr } = await cli('suppression', 'import', file, '--reason', 'BOUNCE', '--poll-seconds', '0.2');
    expect(code).toBe(EXIT.failed); // some rows were invalid
    const reported = [...stderr.matchAll(/^line (\d+): (.+)$/gm)].map((m) => Number(m[1]));
    expect(reported).toEqual([...invalid.keys()]);
    expect(invalid.size).toBe(24);
    expect(valid.size).toBe(1176);
    expect(stderr).toContain(`imported ${valid.size} addresses through the writer; 24 invalid rows, 0 refused by SES`);
    expect(stderr).toContain('suppressing [####################] 100 % 1,176/1,176');
    // One batch of the writer's, or a few: import jobs, never 1,176 single calls.
    expect((pipeline.ses.getStats().succeeded.CreateImportJob ?? 0) - before).toBeGreaterThanOrEqual(1);
    expect(pipeline.ses.getStats().succeeded.PutSuppressedDestination ?? 0).toBeLessThan(25);
    expect(pipeline.ses.list.size).toBe(valid.size);
    expect(pipeline.ses.list.get('user0@list0.example.com')?.reason).toBe('COMPLAINT');
    expect(pipeline.ses.list.get('user1@list1.example.com')?.reason).toBe('BOUNCE');
    // no address of the file in what it printed
    expect(stderr).not.toMatch(/@/);
  });

  it('exports exactly the valid addresses afterwards', async () => {
    const { code, stdout } = await cli('suppression', 'export');
    expect(code).toBe(EXIT.ok);
    const [header, ...rows] = stdout.trim().split('\n');
    expect(header).toBe('email,reason,last_update_time,temporary_until');
    const exported = rows.map((r) => r.split(',')[0]);
    expect(exported).toHaveLength(valid.size);
    expect(new Set(exported)).toEqual(valid);
    // An operator's import is for good: no row is temporary.
    expect(rows.filter((r) => r.split(',')[3] !== '')).toEqual([]);
  });

  it('says which entries are temporary (soft bounces escalated) and until when, and imports them back for good', async () => {
    const until = '2026-12-28T10:00:00.000Z';
    pipeline.ses.list.set('full-mailbox@example.org', { emailAddress: 'full-mailbox@example.org', reason: 'BOUNCE', lastUpdateTime: new Date() });
    await new DynamoSuppressionLedger(pipeline.dynamodb, pipeline.resources.tableName).recordSuppressed(
      [{ address: 'full-mailbox@example.org', reason: 'BOUNCE', until }],
      { via: 'put' },
      new Date(),
    );
    const { stdout } = await cli('suppression', 'export');
    const rows = stdout.trim().split('\n').slice(1);
    expect(rows.filter((r) => r.split(',')[3] !== '')).toEqual([expect.stringMatching(new RegExp(`^full-mailbox@example\\.org,BOUNCE,[^,]+,${until}$`))]);
    expect(parseSuppressionFile(stdout, undefined).entries).toContainEqual({ address: 'full-mailbox@example.org', reason: 'BOUNCE' });
    pipeline.ses.list.delete('full-mailbox@example.org');
    await new DynamoSuppressionLedger(pipeline.dynamodb, pipeline.resources.tableName).forget('full-mailbox@example.org');
  });

  it('filters the export by reason', async () => {
    const { stdout } = await cli('suppression', 'export', '--reason', 'COMPLAINT');
    const rows = stdout.trim().split('\n').slice(1);
    expect(rows.length).toBe([...valid].filter((a) => Number(/user(\d+)@/.exec(a)?.[1]) % 50 === 0).length);
    expect(rows.every((r) => r.split(',')[1] === 'COMPLAINT')).toBe(true);
  });

  it('is safe to run again: what is on the list costs no SES call', async () => {
    const before = { ...pipeline.ses.getStats().succeeded };
    const { stderr } = await cli('suppression', 'import', file, '--reason', 'BOUNCE', '--poll-seconds', '0.2');
    expect(stderr).toContain(`imported ${valid.size} addresses through the writer`);
    expect(pipeline.ses.getStats().succeeded.CreateImportJob).toBe(before.CreateImportJob);
    expect(pipeline.ses.getStats().succeeded.PutSuppressedDestination).toBe(before.PutSuppressedDestination);
  });

  it('records imported addresses in the ledger, so the pipeline makes no SES call when they bounce', async () => {
    const doc = DynamoDBDocumentClient.from(pipeline.dynamodb);
    const { Item } = await doc.send(new GetCommand({ TableName: pipeline.resources.tableName, Key: { pk: addressKey('user1@list1.example.com'), sk: FEEDBACK_TABLE.sortKeys.suppression } }));
    expect(Item).toMatchObject({ reason: 'BOUNCE', via: 'operator-import' });
  });
});

describe('suppression remove', () => {
  it('takes the address off the list, clears the ledger and records the removal in the audit trail', async () => {
    const address = 'user3@list3.example.com';
    expect(pipeline.ses.list.has(address)).toBe(true);
    const { code, stderr } = await cli('suppression', 'remove', address, '--note', 'ticket 4711: mailbox works again');
    expect(code).toBe(EXIT.ok);
    expect(stderr).toBe('removed from the suppression list; recorded in the audit trail\n');
    expect(pipeline.ses.list.has(address)).toBe(false);
    const doc = DynamoDBDocumentClient.from(pipeline.dynamodb);
    const { Items = [] } = await doc.send(
      new QueryCommand({ TableName: pipeline.resources.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': addressKey(address) } }),
    );
    expect(Items.map((i) => i.sk as string).sort()).toEqual([expect.stringMatching(/^EVENT#.*#OperatorRemoval#/)]);
    expect(Items[0]).toMatchObject({ action: 'unsuppress', rule: 'operator-removal', detail: 'ticket 4711: mailbox works again' });
  });

  it('says so when the address is not listed, and refuses a malformed one with exit 1', async () => {
    expect((await cli('suppression', 'remove', 'nobody@example.com')).stderr).toBe('not on the suppression list; nothing to remove\n');
    const bad = await cli('suppression', 'remove', 'nobody');
    expect(bad.code).toBe(EXIT.failed);
    expect(bad.stderr).toBe("ses-feedback: 'nobody' is not a valid address: not an email address (no local part and domain around an at sign)\n");
  });
});

describe('status', () => {
  it('reports the account, the dead letters and the events of the last 24 h as JSON', async () => {
    // Prepare: three hard bounces and two provider blocks of today through the running pipeline
    await pipeline.startWorker();
    const now = new Date();
    const at = (minutesAgo: number): Date => new Date(now.getTime() - minutesAgo * 60_000);
    const spamBlock = { status: '5.7.1', diagnosticCode: 'smtp; 550-5.7.1 [198.51.100.25] Our system has detected that this message is likely unsolicited mail.' };
    await pipeline.publish([
      ...[1, 2, 3].map((i) => bounce({ address: `today${i}@example.net`, messageId: `status-${i}`, at: at(i), configurationSet: 'marketing' })),
      ...[4, 5].map((i) => bounce({ address: `reader${i}@bigmail.example.com`, messageId: `status-${i}`, at: at(i), configurationSet: 'marketing' }, 'Transient', 'General', spamBlock)),
    ]);
    await pipeline.drain(60_000);
    // Act
    const { code, stdout } = await cli('status', '--json');
    // Assess
    expect(code).toBe(EXIT.ok);
    const status = JSON.parse(stdout) as Status;
    expect(status.account).toEqual({ enforcementStatus: 'HEALTHY', sendingEnabled: true, productionAccess: true, suppressedReasons: ['BOUNCE', 'COMPLAINT'] });
    expect(status.deadLetters).toEqual({ feedback: 0, suppressions: 0 });
    // Suppressions: everything SES accepted today: the 3 hard bounces and the imported rows, less the one removed
    expect(pipeline.ses.list.size).toBe(1_176 - 1 + 3);
    expect(status.last24Hours).toMatchObject({
      events: 5,
      hardBounces: 3,
      providerBlocks: 2,
      providerBlocksByDomain: [{ domain: 'bigmail.example.com', blocks: 2 }],
      suppressions: 1_176 - 1 + 3,
      operatorRemovals: 1,
    });
    expect(status.reputation.bounceRate).toBeNull(); // no CloudWatch locally
  });

  it('prints a table by default', async () => {
    const { stdout } = await cli('status');
    expect(stdout).toMatch(/^Local pipeline\n/);
    expect(stdout).toContain('SES account     enforcement HEALTHY, sending enabled, production');
    expect(stdout).toContain('Last 24 h       5 events: 3 hard bounces, 0 soft bounces, 0 complaints, 2 provider blocks;');
    expect(stdout).toContain('Provider blocks bigmail.example.com 2  <-- a provider refuses the sender');
  });
});

describe('suppression import and export with addresses spreadsheets and regexes get wrong', () => {
  // Valid by RFC 5321 and SES: formula-leading local parts, atext symbols, a '#' that reads like a comment.
  const odd = ['=cmd@example.com', '+1+1@example.com', '-2+3@example.com', '#tag@example.com', "a!#$&*/=?^{|}~'b@example.com", 'jane@xn--mller-kva.example'];

  it('records none of the rows SES refused as suppressed, whatever the layout of the failed-records file', async () => {
    pipeline.ses.list.clear();
    const refused = odd.slice(3);
    for (const a of refused) pipeline.ses.refused.add(a);
    const rows = [...odd, ...Array.from({ length: 40 }, (_, i) => `plain${i}@example.com`)];
    const file = join(dir, 'odd.csv');
    writeFileSync(file, rows.map((a) => `"${a}",BOUNCE`).join('\n'));
    const { stderr } = await cli('suppression', 'import', file, '--poll-seconds', '0.2');
    pipeline.ses.refused.clear();
    expect(stderr).toContain(`imported 43 addresses through the writer; 0 invalid rows, 3 refused by SES`);
    const doc = DynamoDBDocumentClient.from(pipeline.dynamodb);
    for (const a of refused) {
      expect(pipeline.ses.list.has(a)).toBe(false);
      const { Item } = await doc.send(new GetCommand({ TableName: pipeline.resources.tableName, Key: { pk: addressKey(a), sk: FEEDBACK_TABLE.sortKeys.suppression } }));
      expect(Item).toBeUndefined();
    }
    expect(pipeline.ses.failedRecordsLayout).toMatch(/^(json-lines|csv)$/);
  });

  it('says which row SES refused in a small import (single calls) without printing its address', async () => {
    pipeline.ses.refused.add('#tag@example.com');
    const file = join(dir, 'few.csv');
    writeFileSync(file, ['few1@example.com', '#tag@example.com', 'few2@example.com'].map((a) => `"${a}",BOUNCE`).join('\n'));
    const { stderr } = await cli('suppression', 'import', file);
    pipeline.ses.refused.clear();
    expect(stderr).toMatch(/^\S*\*+@example\.com refused by SES: SES rejected PutSuppressedDestination \(BadRequestException\)/m);
    expect(stderr).toContain('imported 2 addresses');
    expect(stderr).not.toContain('#tag@example.com');
    expect(pipeline.ses.list.has('#tag@example.com')).toBe(false);
  });

  it('exports no cell a spreadsheet would run, and imports its own export back to the same list', async () => {
    pipeline.ses.list.clear();
    for (const a of odd) pipeline.ses.list.set(a, { emailAddress: a, reason: 'COMPLAINT', lastUpdateTime: new Date() });
    const { stdout } = await cli('suppression', 'export');
    for (const line of stdout.trim().split('\n')) expect(line).not.toMatch(/^[=+\-@\t\r]|,[=+\-@\t\r]/);
    expect(stdout).toContain("'=cmd@example.com,COMPLAINT");
    const file = join(dir, 'exported.csv');
    writeFileSync(file, stdout);
    pipeline.ses.list.clear();
    const { code, stderr } = await cli('suppression', 'import', file, '--poll-seconds', '0.2');
    expect({ code, stderr: stderr.split('\n').filter((l) => l.startsWith('line')) }).toEqual({ code: EXIT.ok, stderr: [] });
    expect(new Map([...pipeline.ses.list].map(([a, e]) => [a, e.reason]))).toEqual(new Map(odd.map((a) => [a, 'COMPLAINT'])));
  });
});

describe('resume: after the guardrail paused a configuration set', () => {
  const MARKETING = DEFAULT_STACK_CONFIGURATION_SETS.marketing;
  // The per-set alarm: one alarm over every set, whose contributor for marketing crossed.
  const ALARM = `${DEFAULT_STACK_NAME}-ConfigurationSets-BounceRate-critical`;

  it('shows the pause in status, refuses to resume while an address waits as a dead letter, resumes on probation once all is on the list, and records who and why', async () => {
    // Prepare: the marketing set's bounce rate crosses its critical line; the real guardrail pauses it
    await pipeline.raiseReputationAlarms({ [MARKETING]: { bounce: 0.061, complaint: 0 } });
    expect(pipeline.ses.configurationSets.get(MARKETING)).toMatchObject({ sendingEnabled: false });
    const status = await cli('status');
    expect(status.stdout).toMatch(new RegExp(`Paused +${MARKETING} since \\S+, by the guardrail: alarm ${ALARM} at 6.1 % \\(critical 5 %\\)`));
    // The earlier tests' dead letters are theirs: start from empty queues. Then a suppression
    // request SQS gave up on: an address that bounced is not on the list yet.
    for (const route of [pipeline.resources.deadLetterQueueUrl, pipeline.resources.suppressionDeadLetterQueueUrl]) await pipeline.sqs.send(new PurgeQueueCommand({ QueueUrl: route }));
    const request: SuppressionMessage = { type: 'suppress', entries: [{ address: 'late-bounce@example.com', reason: 'BOUNCE' }], attempt: 0 };
    await pipeline.sqs.send(new SendMessageCommand({ QueueUrl: pipeline.resources.suppressionDeadLetterQueueUrl, MessageBody: JSON.stringify(request) }));
    // Act and assess: refused, naming what is missing, while the set's alarm is still in ALARM (it cannot fall while paused)
    const refused = await cli('resume', MARKETING, '--note', 'list cleaned');
    expect(refused).toMatchObject({
      code: EXIT.failed,
      stderr: 'ses-feedback: refused: 1 dead letters wait (ses-feedback status; fix their cause, then ses-feedback dead-letters redrive). Resume once every address that bounced or complained is on the list, or anyway with --force\n',
    });
    expect(pipeline.ses.configurationSets.get(MARKETING)).toMatchObject({ sendingEnabled: false });
    // The dead letter goes back to the writer, which puts the address on the list; then the resume is accepted
    expect((await cli('dead-letters', 'redrive', '--poll-seconds', '0.2')).code).toBe(EXIT.ok);
    await pipeline.drain(60_000);
    expect(pipeline.ses.list.has('late-bounce@example.com')).toBe(true);
    const resumed = await cli('resume', MARKETING, '--note', 'ticket 42: list cleaned');
    expect(resumed.code).toBe(EXIT.ok);
    expect(resumed.stderr).toMatch(new RegExp(`^${MARKETING} sends again on probation until \\d{4}-\\d{2}-\\d{2}; alarm ${ALARM} is ALARM for it, from the mail that paused it\\. `));
    expect(pipeline.ses.configurationSets.get(MARKETING)).toMatchObject({ sendingEnabled: true });
    const log = new DynamoGuardrailLog(pipeline.dynamodb, pipeline.resources.tableName, 365);
    expect(await log.latest(MARKETING)).toMatchObject({ kind: 'resume', note: 'ticket 42: list cleaned', forced: false, by: expect.any(String), probation: { atResume: { bounce: 0.061, complaint: 0 } } });
    expect((await log.list()).map((p) => p.configurationSet)).toEqual([MARKETING]);
  });

  it('on probation: a new crossing is left to the probation, new mail worse than the old pauses it again, clean mail ends the probation', async () => {
    const log = new DynamoGuardrailLog(pipeline.dynamodb, pipeline.resources.tableName, 365);
    // The alarm's contributor goes OK and ALARM again: the guardrail leaves a set on probation alone
    await pipeline.raiseReputationAlarms({ [MARKETING]: { bounce: 0.01, complaint: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // alarm events carry whole seconds
    expect(await pipeline.raiseReputationAlarms({ [MARKETING]: { bounce: 0.07, complaint: 0 } })).toContainEqual(expect.objectContaining({ paused: [], onProbation: [MARKETING] }));
    expect(pipeline.ses.configurationSets.get(MARKETING)).toMatchObject({ sendingEnabled: true });
    // The schedule's look: 7 % since the resume, above the 6.1 % it was paused at: paused again
    expect(await pipeline.checkProbations()).toEqual({ paused: [MARKETING], ended: [], waiting: [] });
    expect(pipeline.ses.configurationSets.get(MARKETING)).toMatchObject({ sendingEnabled: false });
    expect(await log.latest(MARKETING)).toMatchObject({ kind: 'pause', alarmName: 'probation', rate: 0.07, threshold: 0.05 });
    // Resumed again; clean mail brings the rate below the line: the probation ends, the set keeps sending
    expect((await cli('resume', MARKETING, '--note', 'old segment removed')).code).toBe(EXIT.ok);
    await pipeline.raiseReputationAlarms({ [MARKETING]: { bounce: 0.02, complaint: 0 } });
    expect(await pipeline.checkProbations()).toEqual({ paused: [], ended: [MARKETING], waiting: [] });
    expect([pipeline.ses.configurationSets.get(MARKETING)?.sendingEnabled, await log.list()]).toEqual([true, []]);
    expect(await cli('resume', MARKETING, '--note', 'again')).toMatchObject({ code: EXIT.ok, stderr: `${MARKETING} is sending already; nothing to resume\n` });
    expect(await cli('resume', MARKETING)).toMatchObject({ code: EXIT.usage });
  });

  it('puts the pauses and resumptions in the report, the evidence that the stream was stopped within minutes', async () => {
    const { code, stdout } = await cli('report', '--since', new Date(Date.now() - 86_400_000).toISOString().slice(0, 10));
    expect(code).toBe(EXIT.ok);
    const rows = stdout.split('\n').filter((line) => line.includes(`\`${MARKETING}\``));
    expect(rows.map((row) => row.split(' | ')[2])).toEqual(['paused by the guardrail', 'resumed on probation', 'paused again on probation', 'resumed on probation']);
  });
});
