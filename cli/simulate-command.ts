import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetConfigurationSetEventDestinationsCommand, SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { addressKey, FEEDBACK_TABLE } from '../lambdas/shared/contract.js';
import { CliError, type Target } from './target.js';

/**
 * `ses-feedback simulate`: one message through each managed configuration set to each SES mailbox
 * simulator address, then a wait until the audit trail shows what the pipeline decided. AWS asks
 * for exactly this test of a feedback pipeline; it proves topic policy, KMS key, queue, function
 * and table work together in the deployed account.
 */

export const SIMULATOR_MAILBOXES = ['success', 'bounce', 'complaint', 'suppressionlist', 'ooto'] as const;
export type SimulatorMailbox = (typeof SIMULATOR_MAILBOXES)[number];

/** What the audit trail must hold for one mailbox; simulator mail is always `record` (never suppressed). */
export type Expectation = { readonly eventType: 'Bounce' | 'Complaint' | 'Delivery' } | { readonly eventType: null };

export interface SimulationCase {
  readonly configurationSet: string;
  readonly mailbox: SimulatorMailbox;
  /** `bounce+<run>-<set>@simulator.amazonses.com`: labelled, so this run's events are told apart. */
  readonly address: string;
  readonly expect: Expectation;
}

export interface SimulationResult extends SimulationCase {
  readonly pass: boolean;
  /** What was seen, one line. */
  readonly seen: string;
  readonly seconds: number | null;
}

/** What `simulate` needs of the world: SES to send, the stack's settings, the audit trail, a clock. */
export interface SimulationPorts {
  send(from: string, to: string, configurationSet: string, subject: string): Promise<string>;
  /** Whether the configuration set's pipeline destination includes DELIVERY events. */
  deliveryEventsOn(configurationSet: string): Promise<boolean>;
  /** The audit trail's events for one address. */
  eventsOf(address: string): Promise<ReadonlyArray<{ readonly eventType: string; readonly action: string; readonly rule: string }>>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface SimulationOptions {
  readonly from: string;
  readonly configurationSets: readonly string[];
  readonly timeoutSeconds: number;
  readonly pollSeconds: number;
  /** Labels this run's addresses. @default random */
  readonly runId?: string;
  /** Between two sends: the sandbox's send rate is 1 message per second. @default 1000 */
  readonly sendIntervalMs?: number;
}

const EXPECTED: Readonly<Record<SimulatorMailbox, 'Bounce' | 'Complaint' | 'Delivery'>> = {
  success: 'Delivery',
  bounce: 'Bounce',
  complaint: 'Complaint',
  suppressionlist: 'Bounce',
  ooto: 'Delivery',
};

/** Sends the messages, then looks at the audit trail until every expectation is settled or time is up. */
export async function simulate(ports: SimulationPorts, options: SimulationOptions, progress: (line: string) => void): Promise<SimulationResult[]> {
  const run = options.runId ?? randomBytes(3).toString('hex');
  const cases: SimulationCase[] = [];
  for (const [index, configurationSet] of options.configurationSets.entries()) {
    const deliveries = await ports.deliveryEventsOn(configurationSet);
    for (const mailbox of SIMULATOR_MAILBOXES) {
      const eventType = EXPECTED[mailbox];
      cases.push({
        configurationSet,
        mailbox,
        // Labelled with the set's position, not its name: a name derived from the stack's could
        // push the local part past the 64 characters SMTP allows (RFC 5321).
        address: `${mailbox}+sfp-${run}-${index + 1}@simulator.amazonses.com`,
        // Deliveries reach the audit trail only when the set publishes DELIVERY events.
        expect: { eventType: eventType === 'Delivery' && !deliveries ? null : eventType },
      });
    }
  }
  const start = ports.now();
  for (const [i, c] of cases.entries()) {
    if (i > 0) await ports.sleep(options.sendIntervalMs ?? 1000);
    await ports.send(options.from, c.address, c.configurationSet, `ses-feedback simulate ${run}: ${c.mailbox} via ${c.configurationSet}`);
    progress(`sending ${i + 1}/${cases.length}`);
  }
  progress(`sent ${cases.length} messages (run ${run}); waiting for their feedback, at most ${options.timeoutSeconds} s`);

  const settled = new Map<string, SimulationResult>();
  const expectsEvent = cases.filter((c) => c.expect.eventType !== null);
  for (;;) {
    for (const c of cases) {
      if (settled.has(c.address)) continue;
      const events = await ports.eventsOf(c.address);
      const problem = events.find((e) => e.eventType === 'Bounce' || e.eventType === 'Complaint' ? e.eventType !== c.expect.eventType : false);
      const match = events.find((e) => e.eventType === c.expect.eventType);
      const seconds = Math.round((ports.now() - start) / 1000);
      if (problem) settled.set(c.address, { ...c, pass: false, seen: `unexpected ${problem.eventType} (${problem.action}, ${problem.rule})`, seconds });
      else if (match) {
        const right = match.action === 'record' && match.rule === 'mailbox-simulator';
        settled.set(c.address, { ...c, pass: right, seen: `${match.eventType}: ${match.action} (${match.rule})${right ? '' : ', expected record (mailbox-simulator)'}`, seconds });
      }
    }
    const waiting = expectsEvent.filter((c) => !settled.has(c.address)).length;
    const elapsed = (ports.now() - start) / 1000;
    progress(`${expectsEvent.length - waiting}/${expectsEvent.length} expected events in the audit trail after ${Math.round(elapsed)} s`);
    if (waiting === 0 || elapsed >= options.timeoutSeconds) break;
    await ports.sleep(options.pollSeconds * 1000);
  }
  return cases.map(
    (c) =>
      settled.get(c.address) ??
      (c.expect.eventType === null
        ? { ...c, pass: true, seen: 'no bounce or complaint (delivery events are not sent to the pipeline)', seconds: null }
        : { ...c, pass: false, seen: `no ${c.expect.eventType} event after ${options.timeoutSeconds} s`, seconds: null }),
  );
}

/** The pass/fail table. */
export function formatSimulation(results: readonly SimulationResult[]): string {
  const rows = results.map((r) => [r.configurationSet, `${r.mailbox}@`, r.expect.eventType ?? '(none)', r.pass ? 'PASS' : 'FAIL', r.seen, r.seconds === null ? '' : `${r.seconds} s`]);
  const header = ['configuration set', 'simulator', 'expected', 'result', 'seen', 'after'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  const failed = results.filter((r) => !r.pass).length;
  return [line(header), ...rows.map(line), '', failed === 0 ? `all ${results.length} checks passed` : `${failed} of ${results.length} checks failed`, ''].join('\n');
}

/** The ports on a deployed stack: SESv2 SendEmail, the configuration set's destinations, the table. */
export function deployedSimulationPorts(target: Target): SimulationPorts {
  if (target.kind !== 'deployed') {
    throw new CliError("simulate needs a deployed stack: the mailbox simulator is SES's own (locally, 'npm start' replays a scenario instead)");
  }
  const ses = target.client('sesv2', SESv2Client);
  const doc = DynamoDBDocumentClient.from(target.client('dynamodb', DynamoDBClient));
  return {
    send: async (from, to, configurationSet, subject) => {
      try {
        const { MessageId } = await ses.send(
          new SendEmailCommand({
            FromEmailAddress: from,
            Destination: { ToAddresses: [to] },
            ConfigurationSetName: configurationSet,
            Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: `${subject}\nSent by ses-feedback simulate to test the feedback pipeline.` } } } },
          }),
        );
        return MessageId ?? '';
      } catch (error) {
        throw new CliError(describeSendError(error, from, configurationSet));
      }
    },
    deliveryEventsOn: async (configurationSet) => {
      const { EventDestinations = [] } = await ses.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: configurationSet }));
      return EventDestinations.some((d) => d.Enabled && d.SnsDestination && (d.MatchingEventTypes ?? []).includes('DELIVERY'));
    },
    eventsOf: async (address) => {
      const { Items = [] } = await doc.send(
        new QueryCommand({
          TableName: target.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
          ExpressionAttributeValues: { ':pk': addressKey(address), ':event': FEEDBACK_TABLE.keyPrefixes.event },
          ProjectionExpression: 'eventType, #action, #rule',
          ExpressionAttributeNames: { '#action': 'action', '#rule': 'rule' },
        }),
      );
      return Items as Array<{ eventType: string; action: string; rule: string }>;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  };
}

/** What to fix when SES refuses to send, in one line. */
export function describeSendError(error: unknown, from: string, configurationSet: string): string {
  const e = error as { name?: string; message?: string };
  const message = (e.message ?? String(error)).split('\n')[0] ?? '';
  if (e.name === 'MessageRejected' && /not verified/i.test(message)) {
    return `SES refused the sender ${from}: the identity is not verified in this region. Verify it (SES console, Identities) or pass --from with a verified address or domain; check --region`;
  }
  if (e.name === 'MailFromDomainNotVerifiedException') return `the custom MAIL FROM domain of ${from} is not verified: fix its MX/SPF records or turn custom MAIL FROM off`;
  if (e.name === 'NotFoundException' && /configuration set/i.test(message)) {
    return `configuration set ${configurationSet} does not exist in this region: check --region and --stack (deploy the stack first)`;
  }
  if (e.name === 'AccountSuspendedException' || e.name === 'SendingPausedException') {
    return `SES will not send from this account (${e.name}): sending is paused; appeal first (ses-feedback report), then test again`;
  }
  if (e.name === 'LimitExceededException' || e.name === 'TooManyRequestsException') {
    return `SES throttled the test messages (${e.name}): your account's send rate is low (sandbox: 1 message/s); try again in a minute`;
  }
  return `SES refused to send (${e.name ?? 'Error'}): ${message}`;
}
