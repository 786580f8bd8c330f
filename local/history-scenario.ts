import { DEFAULT_STACK_CONFIGURATION_SETS } from '../lambdas/shared/contract.js';
import { DEFAULT_SETTINGS } from '../lambdas/shared/settings.js';
import { bounce, complaint, delivery, type MailFacts } from './ses-events.js';

/** One recipient's event, in the time it happened. */
interface HistoryEvent {
  readonly kind: 'delivery' | 'soft' | 'hard' | 'complaint';
  readonly at: number;
}

/** A replay and the suppression list the classification contract gives for it in time order. */
export interface HistoryScenario {
  readonly name: string;
  /** JSON lines as a user replays them: both SES formats, three envelopes, duplicates, in no order. */
  readonly messages: string[];
  /** Address → reason every correct run ends with, and no other address. */
  readonly expected: ReadonlyMap<string, 'BOUNCE' | 'COMPLAINT'>;
}

const DAY_MS = 86_400_000;
const START = Date.UTC(2026, 8, 1);
const SPAN_DAYS = 49;

/**
 * Seven weeks of mail to 1,000 recipients, about 3,600 messages: most only delivered to, some
 * hard-bounced or complaining, and many with runs of soft bounces broken (or not) by a delivery,
 * the histories where arrival order used to matter. Each event comes once or twice (SNS
 * duplicates), in the event-publishing or the notification format, raw, in an SNS envelope or in
 * a captured Lambda SQS event, and the lines are shuffled. Seeded: the same file every time.
 *
 * The expected list is worked out apart from the pipeline's code, walking each recipient's events
 * in time order as the contract reads them: an abuse complaint suppresses as COMPLAINT, otherwise
 * a hard bounce as BOUNCE, otherwise `threshold` soft bounces with no delivery after them, within
 * `windowInDays` of the newest, suppress as BOUNCE for a while.
 */
export function historyScenario(seed = 24): HistoryScenario {
  const random = seeded(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const messages: string[] = [];
  const expected = new Map<string, 'BOUNCE' | 'COMPLAINT'>();
  const sets = Object.values(DEFAULT_STACK_CONFIGURATION_SETS);
  for (let r = 0; r < 1000; r++) {
    const address = `recipient${r}@${['example.com', 'example.org', 'example.net'][r % 3]}`;
    const events = history(random, pick);
    const reason = inTimeOrder(events, DEFAULT_SETTINGS.softBounceThreshold, DEFAULT_SETTINGS.softBounceWindowInDays);
    if (reason) expected.set(address, reason);
    events.forEach((event, i) => {
      const facts: MailFacts = { address, messageId: `0100019b-history-${r}-${i}`, at: new Date(event.at), configurationSet: sets[r % sets.length] ?? 'default' };
      const text = sesMessage(event, facts);
      const line = envelope(random() < 0.3 ? asNotification(text) : text, random, r * 100 + i);
      messages.push(line);
      if (random() < 0.08) messages.push(line); // SNS delivers some twice
    });
  }
  for (let i = messages.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [messages[i], messages[j]] = [messages[j] as string, messages[i] as string];
  }
  return { name: `seven weeks of mail to 1,000 recipients (seed ${seed})`, messages, expected };
}

/** One recipient's events: the shapes a real list shows, at distinct times within the span. */
function history(random: () => number, pick: (n: number) => number): HistoryEvent[] {
  const at = (): number => START + Math.floor(random() * SPAN_DAYS * DAY_MS);
  const kinds: Array<HistoryEvent['kind']> = [];
  const shape = random();
  const deliveries = 1 + pick(2);
  for (let i = 0; i < deliveries; i++) kinds.push('delivery');
  if (shape < 0.1) kinds.push('hard');
  else if (shape < 0.14) kinds.push('complaint');
  else if (shape < 0.15) kinds.push('hard', 'complaint');
  else if (shape < 0.5) for (let i = 3 + pick(5); i > 0; i--) kinds.push('soft');
  const times = new Set<number>();
  return kinds.map((kind) => {
    let t = at();
    while (times.has(t)) t = at();
    times.add(t);
    return { kind, at: t };
  });
}

/** The contract in time order, written apart from the pipeline's code. */
function inTimeOrder(events: readonly HistoryEvent[], threshold: number, windowInDays: number): 'BOUNCE' | 'COMPLAINT' | undefined {
  if (events.some((e) => e.kind === 'complaint')) return 'COMPLAINT';
  if (events.some((e) => e.kind === 'hard')) return 'BOUNCE';
  let soft: number[] = [];
  let suppressed = false;
  for (const event of [...events].sort((a, b) => a.at - b.at)) {
    if (event.kind === 'delivery') {
      soft = [];
      suppressed = false;
    } else if (event.kind === 'soft') {
      soft.push(event.at);
      if (threshold > 0 && soft.filter((t) => t >= event.at - windowInDays * DAY_MS).length >= threshold) suppressed = true;
    }
  }
  return suppressed ? 'BOUNCE' : undefined;
}

function sesMessage(event: HistoryEvent, facts: MailFacts): string {
  switch (event.kind) {
    case 'delivery':
      return delivery(facts);
    case 'soft':
      return bounce(facts, 'Transient', 'MailboxFull');
    case 'hard':
      return bounce(facts);
    case 'complaint':
      return complaint(facts);
  }
}

/** The same event in SES's notification format: `notificationType`, and no tags on `mail`. */
function asNotification(text: string): string {
  const { eventType, mail, ...rest } = JSON.parse(text) as { eventType: string; mail: Record<string, unknown> };
  delete mail.tags;
  return JSON.stringify({ notificationType: eventType, ...rest, mail });
}

/** Raw, in an SNS envelope, or as the processing function receives it (a Lambda SQS event of an SNS envelope). */
function envelope(text: string, random: () => number, id: number): string {
  const roll = random();
  if (roll < 0.6) return text;
  const sns = JSON.stringify({
    Type: 'Notification',
    MessageId: `5e0f0c2a-0000-4000-8000-${String(id).padStart(12, '0')}`,
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:ses-feedback',
    Message: text,
    Timestamp: new Date(START).toISOString(),
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
  });
  if (roll < 0.85) return sns;
  return JSON.stringify({ Records: [{ messageId: `lambda-${id}`, eventSource: 'aws:sqs', body: sns, attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(START) } }] });
}

/** A deterministic generator (a linear congruential one): the same seed, the same file. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}
