import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main.js';
import { describeSendError, formatSimulation, simulate, type SimulationPorts } from '../../cli/simulate-command.js';
import { classify } from '../../lambdas/process-feedback/classify.js';
import { readFeedback } from '../../lambdas/process-feedback/envelope.js';
import { bounce, complaint, delivery, type MailFacts } from '../../local/ses-events.js';

/**
 * `simulate` against a fake world: sending to a simulator address makes the SES event the simulator
 * would (built by local/ses-events), which the real `classify` turns into the audit trail's
 * decisions after a few polls, as the deployed pipeline would.
 */
function world(options: { deliveries?: boolean; lagPolls?: number; lose?: string; tamper?: (rule: string) => string } = {}) {
  const sent: Array<{ from: string; to: string; configurationSet: string }> = [];
  const trail = new Map<string, Array<{ eventType: string; action: string; rule: string; visibleAfter: number }>>();
  let polls = 0;
  let clock = 0;
  const ports: SimulationPorts = {
    send: async (from, to, configurationSet) => {
      sent.push({ from, to, configurationSet });
      const facts: MailFacts = { address: to, messageId: `m-${sent.length}`, at: new Date(), configurationSet };
      const mailbox = to.slice(0, to.indexOf('+'));
      const events: Record<string, string[]> = {
        success: [delivery(facts)],
        ooto: [delivery(facts)],
        bounce: [bounce(facts)],
        suppressionlist: [bounce(facts, 'Permanent', 'Suppressed')],
        complaint: [delivery(facts), complaint(facts)],
      };
      for (const payload of events[mailbox] ?? []) {
        if (mailbox === options.lose) continue;
        const [item] = readFeedback(JSON.parse(payload));
        if (item?.kind !== 'feedback') throw new Error('not feedback');
        if (item.message.eventType === 'Delivery' && !options.deliveries) continue; // not published to the pipeline
        for (const d of classify(item.message).decisions) {
          const entries = trail.get(d.address) ?? [];
          entries.push({ eventType: d.eventType, action: d.action, rule: options.tamper?.(d.rule) ?? d.rule, visibleAfter: polls + (options.lagPolls ?? 2) });
          trail.set(d.address, entries);
        }
      }
      return `m-${sent.length}`;
    },
    deliveryEventsOn: async () => options.deliveries ?? false,
    eventsOf: async (address) => {
      polls++;
      return (trail.get(address) ?? []).filter((e) => e.visibleAfter <= polls);
    },
    sleep: async (ms) => void (clock += ms),
    now: () => clock,
  };
  return { ports, sent };
}

const OPTIONS = { from: 'noreply@example.com', configurationSets: ['SesFeedbackPipeline-transactional', 'SesFeedbackPipeline-marketing'], timeoutSeconds: 300, pollSeconds: 5, runId: 'r1' };

describe('simulate', () => {
  it('sends to each simulator mailbox through each configuration set, a second apart, with labelled addresses', async () => {
    const { ports, sent } = world();
    const progress: string[] = [];
    await simulate(ports, OPTIONS, (line) => progress.push(line));
    expect(sent).toHaveLength(10);
    expect(sent[0]).toEqual({ from: 'noreply@example.com', to: 'success+sfp-r1-1@simulator.amazonses.com', configurationSet: 'SesFeedbackPipeline-transactional' });
    expect(sent[5]?.to).toBe('success+sfp-r1-2@simulator.amazonses.com');
    expect(sent.map((s) => s.to.split('+')[0])).toEqual(['success', 'bounce', 'complaint', 'suppressionlist', 'ooto', 'success', 'bounce', 'complaint', 'suppressionlist', 'ooto']);
    expect(progress).toContain('sent 10 messages (run r1); waiting for their feedback, at most 300 s');
    expect(progress.at(-1)).toMatch(/^6\/6 expected events in the audit trail after \d+ s$/);
  });

  it('passes when every bounce and complaint is recorded (never suppressed) and deliveries are not expected without DELIVERY events', async () => {
    const { ports } = world();
    const results = await simulate(ports, OPTIONS, () => undefined);
    expect(results.map((r) => `${r.configurationSet} ${r.mailbox} ${r.pass ? 'PASS' : 'FAIL'} ${r.seen}`)).toEqual([
      'SesFeedbackPipeline-transactional success PASS no bounce or complaint (delivery events are not sent to the pipeline)',
      'SesFeedbackPipeline-transactional bounce PASS Bounce: record (mailbox-simulator)',
      'SesFeedbackPipeline-transactional complaint PASS Complaint: record (mailbox-simulator)',
      'SesFeedbackPipeline-transactional suppressionlist PASS Bounce: record (mailbox-simulator)',
      'SesFeedbackPipeline-transactional ooto PASS no bounce or complaint (delivery events are not sent to the pipeline)',
      'SesFeedbackPipeline-marketing success PASS no bounce or complaint (delivery events are not sent to the pipeline)',
      'SesFeedbackPipeline-marketing bounce PASS Bounce: record (mailbox-simulator)',
      'SesFeedbackPipeline-marketing complaint PASS Complaint: record (mailbox-simulator)',
      'SesFeedbackPipeline-marketing suppressionlist PASS Bounce: record (mailbox-simulator)',
      'SesFeedbackPipeline-marketing ooto PASS no bounce or complaint (delivery events are not sent to the pipeline)',
    ]);
    const table = formatSimulation(results);
    expect(table.split('\n')[0]).toMatch(/^configuration set +simulator +expected +result +seen +after$/);
    expect(table).toContain('all 10 checks passed');
  });

  it('expects the deliveries too when the configuration sets publish DELIVERY events', async () => {
    const { ports } = world({ deliveries: true });
    const results = await simulate(ports, { ...OPTIONS, configurationSets: ['marketing'] }, () => undefined);
    expect(results.find((r) => r.mailbox === 'success')).toMatchObject({ pass: true, seen: 'Delivery: record (mailbox-simulator)' });
  });

  it('fails the check whose event never arrives, after the timeout, and says so', async () => {
    const { ports } = world({ lose: 'complaint' });
    const results = await simulate(ports, { ...OPTIONS, timeoutSeconds: 60 }, () => undefined);
    const failed = results.filter((r) => !r.pass);
    expect(failed.map((r) => `${r.configurationSet} ${r.mailbox}: ${r.seen}`)).toEqual([
      'SesFeedbackPipeline-transactional complaint: no Complaint event after 60 s',
      'SesFeedbackPipeline-marketing complaint: no Complaint event after 60 s',
    ]);
    expect(formatSimulation(results)).toContain('2 of 10 checks failed');
  });

  it('fails a check whose decision is wrong (a simulator address must never be suppressed)', async () => {
    const { ports } = world({ tamper: (rule) => (rule === 'mailbox-simulator' ? 'permanent-bounce' : rule) });
    const results = await simulate(ports, { ...OPTIONS, configurationSets: ['marketing'] }, () => undefined);
    expect(results.find((r) => r.mailbox === 'bounce')).toMatchObject({ pass: false, seen: 'Bounce: record (permanent-bounce), expected record (mailbox-simulator)' });
  });
});

describe('describeSendError', () => {
  it.each([
    [{ name: 'MessageRejected', message: 'Email address is not verified. The following identities failed the check in region US-EAST-1: noreply@example.com' }, /^SES refused the sender noreply@example.com: the identity is not verified in this region\. Verify it/],
    [{ name: 'NotFoundException', message: 'Configuration set <marketing> does not exist.' }, /^configuration set marketing does not exist in this region: check --region/],
    [{ name: 'SendingPausedException', message: 'Sending paused' }, /sending is paused; appeal first/],
    [{ name: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.' }, /sandbox: 1 message\/s/],
  ])('%o', (error, expected) => {
    const line = describeSendError(error, 'noreply@example.com', 'marketing');
    expect(line).toMatch(expected);
    expect(line).not.toContain('\n');
  });
});

describe('ses-feedback simulate (command line)', () => {
  async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const err: string[] = [];
    const code = await main(argv, { stdout: () => undefined, stderr: (t) => err.push(t), readStdin: () => '', readFile: () => '', env });
    return { code, stderr: err.join('') };
  }

  it('needs --from, with exit 2', async () => {
    expect(await run(['simulate'])).toEqual({ code: 2, stderr: 'ses-feedback simulate: give the sender with --from (a verified address, or an address of a verified domain) (try --help)\n' });
    expect((await run(['simulate', '--from', 'nobody'])).stderr).toBe("ses-feedback simulate: --from must be an email address, got 'nobody' (try --help)\n");
  });

  it('refuses the local pipeline in one line: the simulator is SES\'s own', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'simulate-')), 'endpoints.json');
    const url = 'http://127.0.0.1:9';
    writeFileSync(file, JSON.stringify({ region: 'us-east-1', dynamodb: url, sqs: url, s3: url, sesv2: url, sesRequestsPerSecond: 1, startedAt: new Date().toISOString(), resources: { tableName: 't', importBucketName: 'b', deadLetterQueueUrl: url } }));
    expect(await run(['simulate', '--from', 'noreply@example.com'], { SES_FEEDBACK_LOCAL: file })).toEqual({
      code: 1,
      stderr: "ses-feedback: simulate needs a deployed stack: the mailbox simulator is SES's own (locally, 'npm start' replays a scenario instead)\n",
    });
  });
});
