import type { AlertNotifier } from '../shared/ports.js';
import { asPercent, type ConfigurationSetSending, type GuardrailLog, type PauseAnnouncements, type PauseRecord } from './guardrail.js';

/**
 * Probation: how a paused set is resumed without waiting for a rate that cannot fall.
 *
 * A paused set sends nothing, so SES's reputation rate for it stays what it was when it was paused
 * (SES computes it over a representative volume of the set's mail, not over a time window), and
 * when the set sends again the first datapoints still carry the mail that paused it. Judging a
 * resume on the set's alarm would refuse it for ever, and judging a resumed set on its critical
 * line would pause it again at once. So a set resumed by `ses-feedback resume` is on probation:
 * the guardrail leaves its alarm events alone, and every 15 minutes {@link judgeProbation} reads the
 * set's own rates measured since the resume. New mail that bounces or draws complaints as badly
 * as the mail that paused it keeps the rate where it was, or raises it: paused again. Clean mail
 * brings it down: once every rate is below its critical line, the probation ends and the alarms
 * judge the set again, from a state (OK) from which a new crossing raises a new event.
 */

/** A set on probation, as the resume recorded it. */
export interface Probation {
  readonly configurationSet: string;
  /** When it was resumed (ISO 8601). */
  readonly since: string;
  /** When the probation ends however the rates stand (ISO 8601): a set that sends nothing, or falls slowly, goes back to its alarms. */
  readonly until: string;
  /** The set's own rates when it was resumed (fractions): what it was paused for; undefined where SES had none. */
  readonly atResume: { readonly bounce?: number; readonly complaint?: number };
}

/** The critical lines a set on probation is judged against (fractions): the guardrail's, as deployed. */
export interface CriticalLines {
  readonly bounce: number;
  readonly complaint: number;
}

/** A rate's newest datapoint. */
export interface Datapoint {
  readonly value: number;
  /** ISO 8601. */
  readonly at: string;
}

/** A set's newest reputation datapoints since a moment (none where SES published nothing since). */
export interface SetRates {
  readonly bounce?: Datapoint;
  readonly complaint?: Datapoint;
}

export type ProbationVerdict =
  | { readonly kind: 'pause'; readonly metric: 'bounce' | 'complaint'; readonly rate: number; readonly why: string }
  | { readonly kind: 'end'; readonly why: string }
  | { readonly kind: 'wait'; readonly why: string };

/** How long after a resume a rate that has not fallen counts as the new mail's own: an hour of sending. */
export const PROBATION_GRACE_MS = 60 * 60 * 1000;

/**
 * Judges a set on probation by its rates measured since the resume, purely:
 * - a rate above the one it was paused at: the new mail is worse, paused again at once;
 * - a rate at or above its critical line and not below the one it was paused at, an hour after the
 *   resume: the new mail is as bad, paused again;
 * - every measured rate below its critical line, or the probation's end reached: the probation ends;
 * - otherwise (no datapoint since the resume, or a rate falling toward the line): wait.
 */
export function judgeProbation(probation: Probation, critical: CriticalLines, rates: SetRates, now: Date): ProbationVerdict {
  const since = Date.parse(probation.since);
  const over = now.getTime() >= Date.parse(probation.until);
  const measured = (['bounce', 'complaint'] as const)
    .map((metric) => ({ metric, point: rates[metric] }))
    .filter((m): m is { metric: 'bounce' | 'complaint'; point: Datapoint } => m.point !== undefined && Date.parse(m.point.at) > since);
  if (measured.length === 0) return over ? { kind: 'end', why: `its probation ended at ${probation.until}` } : { kind: 'wait', why: 'no reputation datapoint since the resume' };
  const settled = now.getTime() - since >= PROBATION_GRACE_MS;
  for (const { metric, point } of measured) {
    const line = critical[metric];
    const before = probation.atResume[metric] ?? line;
    if (point.value < line) continue;
    if (point.value > before) return { kind: 'pause', metric, rate: point.value, why: `its ${metric} rate rose to ${asPercent(point.value)} since the resume (it was paused at ${asPercent(before)})` };
    if (settled && point.value >= before) {
      return { kind: 'pause', metric, rate: point.value, why: `its ${metric} rate is still ${asPercent(point.value)} an hour after the resume, not below the ${asPercent(before)} it was paused at` };
    }
  }
  if (measured.every(({ metric, point }) => point.value < critical[metric])) {
    return { kind: 'end', why: `every rate measured since the resume is below its critical line (${measured.map((m) => `${m.metric} ${asPercent(m.point.value)}`).join(', ')})` };
  }
  return over ? { kind: 'end', why: `its probation ended at ${probation.until}, its rates falling` } : { kind: 'wait', why: 'a rate is above its critical line and falling' };
}

/** Where the sets on probation are kept. */
export interface ProbationRoster {
  list(): Promise<Probation[]>;
  start(probation: Probation): Promise<void>;
  end(configurationSet: string): Promise<void>;
}

/** SES's per-set reputation rates (CloudWatch `AWS/SES`, dimension `ses:configuration-set`). */
export interface SetReputation {
  newest(configurationSet: string, since: Date, now: Date): Promise<SetRates>;
}

export interface ProbationPorts {
  readonly roster: ProbationRoster;
  readonly reputation: SetReputation;
  readonly sending: ConfigurationSetSending;
  readonly log: GuardrailLog;
  readonly alerts: AlertNotifier;
  readonly announcements: PauseAnnouncements;
}

/** What one look at the sets on probation did. */
export interface ProbationOutcome {
  readonly paused: readonly string[];
  readonly ended: readonly string[];
  readonly waiting: readonly string[];
}

/** The name a pause by probation carries where an alarm's name goes (the audit trail, the announcement). */
export const PROBATION_PAUSE = 'probation';

/**
 * Looks at every set on probation: pauses again, records, announces and alerts the ones whose new
 * mail is as bad as the mail that paused them; ends the probation of the ones below their lines.
 * A failure for one set is alerted and thrown after the others had their turn; the next look
 * (15 minutes later) tries again.
 */
export async function checkProbations(ports: ProbationPorts, critical: CriticalLines, now: Date): Promise<ProbationOutcome> {
  const outcome = { paused: [] as string[], ended: [] as string[], waiting: [] as string[] };
  const failed: string[] = [];
  for (const probation of await ports.roster.list()) {
    const set = probation.configurationSet;
    try {
      const verdict = judgeProbation(probation, critical, await ports.reputation.newest(set, new Date(probation.since), now), now);
      if (verdict.kind === 'wait') {
        outcome.waiting.push(set);
        continue;
      }
      if (verdict.kind === 'pause') {
        await ports.sending.setSending(set, false);
        const pause: PauseRecord = { configurationSet: set, alarmName: PROBATION_PAUSE, metric: verdict.metric, threshold: critical[verdict.metric], rate: verdict.rate, at: now.toISOString() };
        await ports.log.recordPause(pause);
        await ports.announcements.announcePause(pause);
        await ports.alerts.notify(
          `SES sending paused again on probation: ${set}`,
          [
            `${set} was resumed at ${probation.since} on probation, and is paused again: ${verdict.why}.`,
            'The mail sent since the resume bounces or draws complaints as the mail that paused it did: the cause is not fixed.',
            `Find it (ses-feedback report --since ${probation.since.slice(0, 10)}), fix it, then resume again with`,
            `  npx ses-feedback resume ${set} --note "what was fixed"`,
          ].join('\n'),
        );
        outcome.paused.push(set);
      } else outcome.ended.push(set);
      await ports.roster.end(set);
    } catch (error) {
      failed.push(`${set} (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`);
    }
  }
  if (failed.length > 0) {
    await ports.alerts.notify(`FAILED to judge SES sets on probation: ${failed.join(', ')}`, `The guardrail could not judge or pause: ${failed.join(', ')}. It looks again in 15 minutes; check the sets by hand if this persists.`);
    throw new Error(`could not judge the sets on probation: ${failed.join(', ')}`);
  }
  return outcome;
}
