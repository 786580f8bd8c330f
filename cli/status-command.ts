import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { asPercent } from '../lambdas/pause-sending/guardrail.js';
import { feedbackClassOf } from '../lambdas/process-feedback/feedback-record.js';
import { readReputationRates } from '../lambdas/watch-reputation/adapters/ses-account-reader.js';
import { SUPPRESSED_EVENT_TYPE, SUPPRESSION_EXPIRED_EVENT_TYPE } from '../lambdas/write-suppressions/adapters/suppression-ledger-items.js';
import { AWS_ENFORCEMENT_LINES, DEFAULT_SETTINGS, type RateThresholds } from '../lambdas/shared/settings.js';
import { readAlarms, type StackAlarm } from './alarms.js';
import { AuditTrail, isGuardrailEntry } from './audit-trail.js';
import { sendingStates } from './resume-command.js';
import type { DeadLetterRoute, Target } from './target.js';


/** What `ses-feedback status` reports (also its `--json` form). */
export interface Status {
  readonly target: { readonly kind: Target['kind']; readonly name: string };
  readonly account: {
    readonly enforcementStatus: string;
    readonly sendingEnabled: boolean;
    readonly productionAccess: boolean;
    readonly suppressedReasons: readonly string[];
  };
  /** SES reputation rates (fractions, latest value of the last 24 h); null where unknown (no data, or local). */
  readonly reputation: {
    readonly bounceRate: number | null;
    readonly complaintRate: number | null;
    readonly thresholds: { readonly bounce: RateThresholds; readonly complaint: RateThresholds };
    readonly aws: typeof AWS_ENFORCEMENT_LINES;
  };
  readonly alarms: readonly StackAlarm[];
  /** The stack's configuration sets that do not send, with the guardrail's pause when it paused them. */
  readonly pausedSets: ReadonlyArray<{ readonly configurationSet: string; readonly since?: string; readonly why?: string }>;
  /** Messages waiting in each dead-letter queue, by the source queue they came from. */
  readonly deadLetters: Readonly<Record<DeadLetterRoute['source'], number>>;
  readonly last24Hours: {
    readonly events: number;
    readonly hardBounces: number;
    readonly softBounces: number;
    readonly complaints: number;
    /** Bounces whose DSN status said the provider refused the sender (5.7.x); never suppressed. */
    readonly providerBlocks: number;
    /** The recipient domains with the most provider blocks, most first (at most {@link STATUS_BLOCKED_DOMAINS}). */
    readonly providerBlocksByDomain: ReadonlyArray<{ readonly domain: string; readonly blocks: number }>;
    readonly suppressions: number;
    readonly operatorRemovals: number;
    /** Temporary suppressions (soft bounces escalated) the pipeline took off the list when they ended. */
    readonly suppressionsEnded: number;
  };
}

/** Recipient domains `status` lists with their provider blocks. */
export const STATUS_BLOCKED_DOMAINS = 5;

export async function readStatus(target: Target, now = new Date()): Promise<Status> {
  const [account, reputation, alarms, deadLetters, last24Hours, sets] = await Promise.all([
    target.client('sesv2', SESv2Client).send(new GetAccountCommand({})),
    readReputation(target, now),
    readAlarms(target),
    deadLettersWaiting(target),
    countLastDay(target, now),
    sendingStates(target),
  ]);
  const pausedSets = sets
    .filter((s) => !s.sending)
    .map(({ configurationSet, latest }) =>
      latest?.kind === 'pause'
        ? { configurationSet, since: latest.at, why: `alarm ${latest.alarmName}${latest.rate === undefined ? '' : ` at ${asPercent(latest.rate)}`} (critical ${asPercent(latest.threshold)})` }
        : { configurationSet },
    );
  return {
    target: { kind: target.kind, name: target.name },
    account: {
      enforcementStatus: account.EnforcementStatus ?? 'UNKNOWN',
      sendingEnabled: account.SendingEnabled ?? false,
      productionAccess: account.ProductionAccessEnabled ?? false,
      suppressedReasons: account.SuppressionAttributes?.SuppressedReasons ?? [],
    },
    reputation: { ...reputation, thresholds: { bounce: DEFAULT_SETTINGS.bounceRateThresholds, complaint: DEFAULT_SETTINGS.complaintRateThresholds }, aws: AWS_ENFORCEMENT_LINES },
    alarms,
    pausedSets,
    deadLetters,
    last24Hours,
  };
}

/** Messages waiting in each dead-letter queue. */
async function deadLettersWaiting(target: Target): Promise<Readonly<Record<DeadLetterRoute['source'], number>>> {
  const sqs = target.client('sqs', SQSClient);
  const depths = await Promise.all(
    target.deadLetterQueues.map(async (route) => {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: route.deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      return [route.source, Number(Attributes?.ApproximateNumberOfMessages ?? 0)] as const;
    }),
  );
  const waiting = { feedback: 0, suppressions: 0 };
  for (const [source, depth] of depths) waiting[source] = depth;
  return waiting;
}

function deadLetterLine(waiting: Readonly<Record<DeadLetterRoute['source'], number>>): string {
  const total = waiting.feedback + waiting.suppressions;
  const counts = `${total} (feedback ${waiting.feedback}, suppressions ${waiting.suppressions})`;
  return total > 0 ? `${counts}  <-- read the failureReason of each, fix the cause, then: ses-feedback dead-letters redrive` : counts;
}

async function readReputation(target: Target, now: Date): Promise<{ bounceRate: number | null; complaintRate: number | null }> {
  return target.has('cloudwatch') ? readReputationRates(target.client('cloudwatch', CloudWatchClient), now) : { bounceRate: null, complaintRate: null };
}

/** Events of the last 24 h, from the audit trail's time index (each shard of today and yesterday). */
async function countLastDay(target: Target, now: Date): Promise<Status['last24Hours']> {
  const counts = { events: 0, hardBounces: 0, softBounces: 0, complaints: 0, providerBlocks: 0, suppressions: 0, operatorRemovals: 0, suppressionsEnded: 0 };
  const blocksByDomain = new Map<string, number>();
  await new AuditTrail(target.client('dynamodb', DynamoDBClient), target.tableName).forEachEvent(new Date(now.getTime() - 86_400_000), now, (event) => {
    if (event.eventType === SUPPRESSED_EVENT_TYPE) {
      counts.suppressions++; // SES accepted it (whatever the cause: a hard bounce, soft bounces, a complaint, an import)
      return;
    }
    if (event.rule === 'operator-removal') {
      counts.operatorRemovals++;
      return;
    }
    if (event.eventType === SUPPRESSION_EXPIRED_EVENT_TYPE) {
      counts.suppressionsEnded++;
      return;
    }
    if (isGuardrailEntry(event)) return; // a pause or resumption, not feedback
    counts.events++;
    switch (feedbackClassOf(event)) {
      case 'hard-bounce':
        counts.hardBounces++;
        break;
      case 'soft-bounce':
        counts.softBounces++;
        break;
      case 'complaint':
        counts.complaints++;
        break;
      case 'provider-block': {
        counts.providerBlocks++;
        const domain = event.recipientDomain ?? '(none)';
        blocksByDomain.set(domain, (blocksByDomain.get(domain) ?? 0) + 1);
        break;
      }
      case 'other':
        break;
    }
  });
  const providerBlocksByDomain = [...blocksByDomain]
    .map(([domain, blocks]) => ({ domain, blocks }))
    .sort((a, b) => b.blocks - a.blocks || a.domain.localeCompare(b.domain))
    .slice(0, STATUS_BLOCKED_DOMAINS);
  return { ...counts, providerBlocksByDomain };
}

/** The human form of {@link Status}. */
export function formatStatus(status: Status): string {
  const pct = (n: number | null): string => (n === null ? 'n/a' : `${Number((n * 100).toPrecision(3))} %`);
  const { account, reputation, last24Hours: day } = status;
  const healthy = account.enforcementStatus === 'HEALTHY' && account.sendingEnabled;
  const lines = [
    `${status.target.kind === 'local' ? 'Local pipeline' : `Stack ${status.target.name}`}`,
    '',
    `SES account     enforcement ${account.enforcementStatus}, sending ${account.sendingEnabled ? 'enabled' : 'DISABLED'}, ${account.productionAccess ? 'production' : 'sandbox'}${healthy ? '' : '  <-- act now'}`,
    `Suppression     account-level list adds ${account.suppressedReasons.length > 0 ? account.suppressedReasons.join(' and ') : 'nothing (off!)'}`,
    `Bounce rate     ${pct(reputation.bounceRate)}   (warning ${pct(reputation.thresholds.bounce.warning)}, critical ${pct(reputation.thresholds.bounce.critical)}; AWS reviews at ${pct(reputation.aws.bounceRate.review)}, may pause at ${pct(reputation.aws.bounceRate.pause)})`,
    `Complaint rate  ${pct(reputation.complaintRate)}   (warning ${pct(reputation.thresholds.complaint.warning)}, critical ${pct(reputation.thresholds.complaint.critical)}; AWS reviews at ${pct(reputation.aws.complaintRate.review)}, may pause at ${pct(reputation.aws.complaintRate.pause)})`,
    `Dead letters    ${deadLetterLine(status.deadLetters)}`,
    `Last 24 h       ${day.events} events: ${day.hardBounces} hard bounces, ${day.softBounces} soft bounces, ${day.complaints} complaints, ${day.providerBlocks} provider blocks; ${day.suppressions} suppressions; ${day.suppressionsEnded} temporary suppressions ended; ${day.operatorRemovals} operator removals`,
  ];
  if (day.providerBlocks > 0) {
    const domains = day.providerBlocksByDomain.map((d) => `${d.domain} ${d.blocks}`).join(', ');
    lines.push(`Provider blocks ${domains}  <-- a provider refuses the sender (5.7.x): see the ProviderBlocks alarm's runbook; those readers were not suppressed`);
  }
  for (const p of status.pausedSets) {
    lines.push(`Paused          ${p.configurationSet}${p.since ? ` since ${p.since}, by the guardrail: ${p.why ?? ''}` : ' (not by the guardrail)'}  <-- resume with: npx ses-feedback resume ${p.configurationSet} --note "..."`);
  }
  const setsInAlarm = [...new Set(status.alarms.flatMap((a) => a.setsInAlarm ?? []))].sort();
  if (setsInAlarm.length > 0) lines.splice(2, 0, `Sets in ALARM   ${setsInAlarm.join(', ')}  <-- their bounce or complaint rate crossed a line: see Alarms below`);
  if (status.target.kind === 'local' && status.alarms.length === 0) lines.push('', 'Alarms and reputation rates live in CloudWatch: not available locally.');
  else if (status.alarms.length > 0) {
    lines.push('', 'Alarms');
    const width = Math.max(...status.alarms.map((a) => a.state.length));
    for (const a of status.alarms) {
      const sets = a.setsInAlarm === undefined || a.setsInAlarm.length === 0 ? '' : `: ${a.setsInAlarm.join(', ')}`;
      lines.push(`  ${a.state.padEnd(width)}  ${a.metric} >= ${a.threshold ?? '?'}  ${a.name}${sets}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
