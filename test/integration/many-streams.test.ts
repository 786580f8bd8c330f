import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../cli/main.js';
import { runCli, type CliRun } from '../support/cli.js';
import { DEFAULT_STACK_NAME } from '../../lambdas/shared/contract.js';
import { feedbackClassOf } from '../../lambdas/process-feedback/feedback-record.js';
import { scanEventItems } from '../../local/feedback-table.js';
import { LocalPipeline } from '../../local/pipeline.js';
import { manyStreamsScenario } from '../../local/scenario.js';

/**
 * Many streams on the local pipeline: 24 configuration sets, one alarm per rate and severity with a
 * contributor per set (as the stack's Metrics Insights alarms), the real guardrail on the
 * contributor events, and the operator CLI reading the contributors back (DescribeAlarmContributors).
 */
jest.setTimeout(300_000);

const scenario = manyStreamsScenario();
const setName = (short: string): string => `${DEFAULT_STACK_NAME}-${short}`;
const CRITICAL = `${DEFAULT_STACK_NAME}-ConfigurationSets-BounceRate-critical`;
let pipeline: LocalPipeline;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  pipeline = await LocalPipeline.start({ timeCompression: 60, logDir: '.local/logs/many-streams', managedConfigurationSets: scenario.managedConfigurationSets });
  await pipeline.startWorker();
  const endpoints = join(mkdtempSync(join(tmpdir(), 'ses-feedback-streams-')), 'endpoints.json');
  pipeline.writeEndpointsFile(endpoints);
  env = { SES_FEEDBACK_LOCAL: endpoints };
});
afterAll(() => pipeline?.stop());

const cli = (...argv: string[]): Promise<CliRun> => runCli(env, ...argv);

/** Each set's rates as the audit trail counts them over the scenario's sends (SES's reputation metrics, played). */
async function ratesBySet(): Promise<Record<string, { bounce: number; complaint: number }>> {
  const events = await scanEventItems<{ configurationSet?: string; eventType: string; action: string; rule?: string }>(pipeline.dynamodb, pipeline.resources.tableName);
  return Object.fromEntries(
    Object.entries(scenario.sends).map(([set, sends]) => {
      const of = (cls: string) => events.filter((e) => e.configurationSet === set && feedbackClassOf(e) === cls).length;
      return [set, { bounce: of('hard-bounce') / sends, complaint: of('complaint') / sends }];
    }),
  );
}

describe('24 configuration sets, one crossing its critical bounce line', () => {
  it('has the 24 sets on the local SES endpoint, 23 of them tagged pausable, and 8 reputation alarms whatever the count', () => {
    expect(pipeline.ses.configurationSets.size).toBe(24);
    expect([...pipeline.ses.configurationSets.values()].filter((s) => s.tags?.['ses-feedback-pipeline:pausable'] === DEFAULT_STACK_NAME)).toHaveLength(23);
    expect([...pipeline.cloudwatch.server.alarms.keys()].filter((name) => /Rate-(warning|critical)$/.test(name))).toHaveLength(8);
  });

  it('pauses exactly the crossing set, and every other set keeps sending', async () => {
    await pipeline.publish(scenario.messages);
    await pipeline.drain(120_000);
    const rates = await ratesBySet();
    expect(rates[setName('stream07')]?.bounce).toBeCloseTo(0.08);
    const outcomes = (await pipeline.raiseReputationAlarms(rates)) as Array<{ paused: string[]; decision: { kind: string; why?: string } }>;
    // The alarm's own change (no set named: ignored), then one contributor change per set that crossed a line.
    expect(outcomes.flatMap((o) => o.paused)).toEqual([setName('stream07')]);
    expect(outcomes.find((o) => o.decision.kind === 'ignore' && o.decision.why?.includes('its contributors')) ).toBeDefined();
    const paused = [...pipeline.ses.configurationSets].filter(([, s]) => !s.sendingEnabled).map(([name]) => name);
    expect(paused).toEqual([setName('stream07')]);
    expect(scenario.expected.paused).toEqual(paused);
  });

  it('status lists the sets in ALARM first, by the contributors CloudWatch reports, and the pause', async () => {
    const { code, stdout } = await cli('status');
    expect(code).toBe(EXIT.ok);
    const lines = stdout.split('\n');
    expect(lines[2]).toBe(`Sets in ALARM   ${setName('stream07')}, ${setName('stream12')}  <-- their bounce or complaint rate crossed a line: see Alarms below`);
    const alarms = lines.slice(lines.indexOf('Alarms') + 1).filter(Boolean);
    expect(alarms.slice(0, 2)).toEqual([
      `  ALARM  Reputation.BounceRate by configuration set >= 0.05  ${CRITICAL}: ${setName('stream07')}`,
      `  ALARM  Reputation.BounceRate by configuration set >= 0.03  ${DEFAULT_STACK_NAME}-ConfigurationSets-BounceRate-warning: ${setName('stream07')}, ${setName('stream12')}`,
    ]);
    expect(alarms.slice(2).every((line) => !line.trimStart().startsWith('ALARM'))).toBe(true);
    expect(stdout).toMatch(new RegExp(`Paused +${setName('stream07')} since \\S+, by the guardrail: alarm ${CRITICAL} at 8 % \\(critical 5 %\\)`));
  });

  it('the report shows the per-set alarms with the sets in ALARM', async () => {
    const { code, stdout } = await cli('report', '--since', new Date(Date.now() - 86_400_000).toISOString().slice(0, 10));
    expect(code).toBe(EXIT.ok);
    // Markdown-escaped: read it without the backslashes.
    expect(stdout.replace(/\\/g, '')).toContain(`| ${CRITICAL} | Reputation.BounceRate by configuration set | 0.05 | ALARM (${setName('stream07')}) |`);
  });

  it('resumes a set on probation while its own contributor is still in ALARM (a paused set\'s rate cannot fall), and leaves the other sets to their alarms', async () => {
    // stream15 crosses: the alarm stays in ALARM, stream15 is paused, stream07's contributor stays in ALARM
    const rates = await ratesBySet();
    await pipeline.raiseReputationAlarms({ ...rates, [setName('stream15')]: { bounce: 0.06, complaint: 0 } });
    expect(pipeline.ses.configurationSets.get(setName('stream15'))?.sendingEnabled).toBe(false);
    expect(pipeline.cloudwatch.server.alarms.get(CRITICAL)?.contributors?.get(setName('stream07'))).toBe('ALARM');
    const resumed = await cli('resume', setName('stream07'), '--note', 'old list removed');
    expect(resumed.code).toBe(EXIT.ok);
    expect(resumed.stderr).toContain(`${setName('stream07')} sends again on probation until `);
    expect(resumed.stderr).toContain(`alarm ${CRITICAL} is ALARM for it`);
    expect(pipeline.ses.configurationSets.get(setName('stream07'))?.sendingEnabled).toBe(true);
    expect(pipeline.ses.configurationSets.get(setName('stream15'))?.sendingEnabled).toBe(false);
  });
});
