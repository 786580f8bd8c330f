import { configurationSetName, configurationSetNamePrefix, DEFAULT_STACK_CONFIGURATION_SETS, DEFAULT_STACK_NAME } from '../lambdas/shared/contract.js';
import { bounce, complaint, type Dsn, type MailFacts } from './ses-events.js';

/** Sends per configuration set: SES reputation rates are per message sent, so the summary needs them. */
export interface Scenario {
  readonly name: string;
  readonly sends: Readonly<Record<string, number>>;
  /** SES messages as SES publishes them to the topic, duplicates and malformed ones included. */
  readonly messages: string[];
  /** What a correct pipeline must end with, to check the run against. */
  readonly expected: ScenarioExpectations;
  /** The managed configuration sets (short names) the local deploy has. @default the stack's */
  readonly managedConfigurationSets?: readonly string[];
}

export interface ScenarioExpectations {
  readonly suppressed: number;
  readonly malformed: number;
  /** Readers of one domain whose provider refused the sender: recorded, none of them suppressed. */
  readonly providerBlocks?: { readonly domain: string; readonly readers: number };
  /** Configuration sets the guardrail must have paused (crossed a critical line, pausable); every other set keeps sending. */
  readonly paused?: readonly string[];
}

/** What a large mailbox provider answers when it blocks a sender: a spam block and a DMARC refusal. */
const SPAM_BLOCK: Dsn = {
  status: '5.7.1',
  diagnosticCode: 'smtp; 550-5.7.1 [198.51.100.25] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to BigMail, this message has been blocked.',
};
const DMARC_REFUSAL: Dsn = {
  status: '5.7.26',
  diagnosticCode: "smtp; 550 5.7.26 Unauthenticated email from news.example.com is not accepted due to domain's DMARC policy.",
};
const BLOCKED_DOMAIN = 'bigmail.example.com';

const DAY = Date.UTC(2026, 10, 20, 9);
/** The sets a default `cdk deploy` creates, by their SES names: what the scenario's mail was sent with. */
const SETS = DEFAULT_STACK_CONFIGURATION_SETS;

/**
 * A campaign gone wrong beside a healthy stream: "spring-sale" in the marketing configuration set
 * goes to 20,000 addresses of an old list; 8 % hard-bounce, most of them on one stale domain
 * (oldmail.example.net, a webmail that closed); complaints pass 0.1 %; some mailboxes are full
 * five times running; one large provider (bigmail.example.com) starts refusing the campaign as
 * spam and for DMARC, bouncing 200 valid readers. Transactional mail (5,000 sends) stays healthy.
 * SNS delivers 3 % of the events twice, and four messages on the topic are not SES feedback at all.
 */
export function builtInScenario(): Scenario {
  const messages: string[] = [];
  let n = 0;
  let suppressed = 0;
  const at = (offsetSeconds: number): Date => new Date(DAY + offsetSeconds * 1000);
  const marketing = (address: string, seconds: number): MailFacts => ({
    address,
    messageId: `0100019a-spring-${String(++n).padStart(6, '0')}`,
    at: at(seconds),
    configurationSet: SETS.marketing,
    campaign: 'spring-sale',
    fromDomain: 'news.example.com',
  });
  const transactional = (address: string, seconds: number): MailFacts => ({
    address,
    messageId: `0100019a-receipt-${String(++n).padStart(6, '0')}`,
    at: at(seconds),
    configurationSet: SETS.transactional,
    fromDomain: 'example.com',
  });

  // 1,600 hard bounces (8 % of 20,000): 1,300 on the stale domain, 300 scattered
  for (let i = 0; i < 1300; i++) messages.push(bounce(marketing(`user${i}@oldmail.example.net`, i)));
  const others = ['example.org', 'mail.example.com', 'example.edu', 'inbox.example.net'];
  for (let i = 0; i < 300; i++) messages.push(bounce(marketing(`old${i}@${others[i % others.length]}`, 1300 + i)));
  suppressed += 1600;
  // complaints: 36 abuse (0.18 %), 6 not-spam (recorded only)
  for (let i = 0; i < 36; i++) messages.push(complaint(marketing(`reader${i}@example.org`, 2000 + i)));
  for (let i = 0; i < 6; i++) messages.push(complaint(marketing(`fan${i}@example.org`, 2100 + i), 'not-spam'));
  suppressed += 36;
  // 40 mailboxes full on 5 consecutive sends (escalate), 100 full once (counted, not suppressed)
  for (let send = 0; send < 5; send++) {
    for (let i = 0; i < 40; i++) messages.push(bounce(marketing(`full${i}@example.com`, 3000 + send * 3600 + i), 'Transient', 'MailboxFull'));
  }
  for (let i = 0; i < 100; i++) messages.push(bounce(marketing(`busy${i}@example.com`, 4000 + i), 'Transient', 'MailboxFull'));
  suppressed += 40;
  // a block wave: bigmail.example.com refuses the sender (150 spam blocks, 50 DMARC refusals);
  // SES reports them as Transient/General bounces, and the readers stay off the suppression list
  const blockedReaders = 200;
  for (let i = 0; i < blockedReaders; i++) {
    messages.push(bounce(marketing(`reader${i}@${BLOCKED_DOMAIN}`, 6000 + i), 'Transient', 'General', i < 150 ? SPAM_BLOCK : DMARC_REFUSAL));
  }
  // transactional: 20 hard bounces (0.4 % of 5,000), 1 complaint
  for (let i = 0; i < 20; i++) messages.push(bounce(transactional(`typo${i}@gmial.example.com`, 5000 + i)));
  messages.push(complaint(transactional('buyer@example.net', 5100)));
  suppressed += 21;

  // SNS duplicates (3 %), spread through the stream
  const duplicates = messages.filter((_, i) => i % 33 === 0);
  const all = [...messages, ...duplicates];
  // not feedback and not readable: these must end in the DLQ with a reason
  const malformed = ['{"eventType":"Bounce","mail":{}}', 'Hello from a misconfigured publisher', '{"notificationType":"Complaint","mail":{"messageId":"x","timestamp":"2026-11-20T09:00:00Z"}}', '{"unexpected":true}'];
  all.push(...malformed);
  return {
    name: 'spring-sale gone wrong',
    sends: { [SETS.marketing]: 20_000, [SETS.transactional]: 5_000 },
    messages: shuffle(all),
    expected: { suppressed, malformed: malformed.length, providerBlocks: { domain: BLOCKED_DOMAIN, readers: blockedReaders }, paused: [SETS.marketing] },
  };
}

/** The scenarios `npm start -- --scenario NAME` runs. */
export const SCENARIOS = { 'spring-sale': builtInScenario, 'many-streams': manyStreamsScenario } as const;

/**
 * A sender with many streams: `transactional` and 23 product streams, 2,000 sends each. One stream
 * (stream07) mails an old list: 8 % hard bounces, past its critical line. stream12 reaches its
 * warning line (3.5 %) and nothing more; every other stream bounces 1 % and draws a complaint or
 * none. Only stream07 may be paused, and the other 23 keep sending.
 */
export function manyStreamsScenario(): Scenario {
  const streams = Array.from({ length: 23 }, (_, i) => `stream${String(i + 1).padStart(2, '0')}`);
  const managed = ['transactional', ...streams];
  const name = (short: string): string => configurationSetName(configurationSetNamePrefix(DEFAULT_STACK_NAME), short);
  const sendsPerSet = 2_000;
  const hardBounces: Record<string, number> = Object.fromEntries(managed.map((short) => [short, short === 'stream07' ? 160 : short === 'stream12' ? 70 : 20]));
  const messages: string[] = [];
  let n = 0;
  let suppressed = 0;
  managed.forEach((short, s) => {
    const facts = (address: string, seconds: number): MailFacts => ({
      address,
      messageId: `0100019b-${short}-${String(++n).padStart(6, '0')}`,
      at: new Date(DAY + seconds * 1000),
      configurationSet: name(short),
      campaign: `${short}-weekly`,
    });
    for (let i = 0; i < (hardBounces[short] ?? 0); i++) messages.push(bounce(facts(`gone${i}.${short}@example.net`, s * 600 + i)));
    suppressed += hardBounces[short] ?? 0;
    // one abuse complaint in every other stream: 0.05 %, under the 0.08 % warning line
    if (s % 2 === 1) {
      messages.push(complaint(facts(`reader.${short}@example.org`, s * 600 + 500)));
      suppressed += 1;
    }
  });
  return {
    name: 'many streams, one mails an old list',
    sends: Object.fromEntries(managed.map((short) => [name(short), sendsPerSet])),
    messages: shuffle(messages),
    expected: { suppressed, malformed: 0, paused: [name('stream07')] },
    managedConfigurationSets: managed,
  };
}

/** Deterministic shuffle (seeded), so every run sends the same order. */
function shuffle<T>(items: T[]): T[] {
  let seed = 42;
  const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
