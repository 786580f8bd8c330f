import * as z from 'zod/mini';
import type { AlertNotifier } from '../shared/ports.js';

/**
 * The guardrail: when a critical reputation alarm goes to ALARM, pause sending for the
 * configuration sets it watches (only those the user made pausable), before AWS pauses the whole
 * account. Every pause is recorded in the audit trail and announced to the team and to the user's
 * own systems; an operator resumes with `ses-feedback resume`.
 */

/** A critical alarm the guardrail acts on, and the sets it pauses. */
export interface GuardedAlarm {
  /** The CloudWatch alarm's name, as the state-change event names it. */
  readonly alarmName: string;
  readonly metric: 'bounce' | 'complaint';
  /** Fraction (0.05 = 5 %). */
  readonly threshold: number;
  /** The set the alarm watches, or undefined for an account-wide alarm (which pauses every pausable set). */
  readonly configurationSet?: string;
}

/** What the guardrail was deployed with. */
export interface GuardrailSettings {
  readonly alarms: readonly GuardedAlarm[];
  /** The sets it may pause, by their SES names. */
  readonly pausable: readonly string[];
  /** Every set the stack knows (to say which keep sending). */
  readonly allSets: readonly string[];
}

const settingsSchema = z.object({
  alarms: z.array(
    z.object({
      alarmName: z.string().check(z.minLength(1)),
      metric: z.enum(['bounce', 'complaint']),
      threshold: z.number(),
      configurationSet: z.optional(z.string()),
    }),
  ),
  pausable: z.array(z.string()),
  allSets: z.array(z.string()),
});

/**
 * Reads the guardrail's settings (JSON, as the stack sets them).
 *
 * @throws Error naming the first bad field
 */
export function readGuardrailSettings(json: string): GuardrailSettings {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('guardrail settings are not JSON');
  }
  const parsed = settingsSchema.safeParse(value);
  if (!parsed.success) throw new Error(`guardrail settings are not valid: ${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** CloudWatch's "CloudWatch Alarm State Change" event, as EventBridge delivers it: the fields the guardrail reads. */
const alarmStateChangeSchema = z.object({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  time: z.string(),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({ value: z.string(), reasonData: z.optional(z.string()), timestamp: z.optional(z.string()) }),
    previousState: z.optional(z.object({ value: z.string() })),
  }),
});

export interface AlarmStateChange {
  readonly alarmName: string;
  readonly state: string;
  readonly previousState?: string;
  /** When the state changed (ISO 8601). */
  readonly at: string;
  /** The newest datapoint CloudWatch evaluated (its `reasonData`), when it says. */
  readonly value?: number;
}

/**
 * Reads a "CloudWatch Alarm State Change" event.
 *
 * @throws Error with a one-line reason when it is not one
 */
export function readAlarmStateChange(event: unknown): AlarmStateChange {
  const parsed = alarmStateChangeSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`not a CloudWatch Alarm State Change event: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const { detail, time } = parsed.data;
  const at = Date.parse(time);
  if (Number.isNaN(at)) throw new Error('not a CloudWatch Alarm State Change event: time: is not a timestamp');
  return {
    alarmName: detail.alarmName,
    state: detail.state.value,
    previousState: detail.previousState?.value,
    at: new Date(at).toISOString(),
    value: newestDatapoint(detail.state.reasonData),
  };
}

/** `reasonData` is JSON text: `{"recentDatapoints":[0.061], "threshold":0.05, ...}`. */
function newestDatapoint(reasonData: string | undefined): number | undefined {
  if (reasonData === undefined) return undefined;
  try {
    const points = (JSON.parse(reasonData) as { recentDatapoints?: unknown }).recentDatapoints;
    const last: unknown = Array.isArray(points) ? (points as unknown[])[points.length - 1] : undefined;
    return typeof last === 'number' && Number.isFinite(last) ? last : undefined;
  } catch {
    return undefined;
  }
}

/** What to do about one alarm state change. */
export type GuardrailDecision =
  | { readonly kind: 'pause'; readonly alarm: GuardedAlarm; readonly sets: readonly string[]; readonly rate?: number; readonly at: string }
  | { readonly kind: 'ignore'; readonly why: string };

/**
 * Decides, purely, which sets an alarm state change pauses: only a change to ALARM of a guarded
 * (critical) alarm; only sets the user made pausable; an account-wide alarm pauses every pausable set.
 */
export function decidePause(change: AlarmStateChange, settings: GuardrailSettings): GuardrailDecision {
  const alarm = settings.alarms.find((a) => a.alarmName === change.alarmName);
  if (!alarm) return { kind: 'ignore', why: `alarm ${change.alarmName} is not a critical reputation alarm the guardrail acts on` };
  if (change.state !== 'ALARM') return { kind: 'ignore', why: `alarm ${change.alarmName} went to ${change.state}, not ALARM` };
  const sets = alarm.configurationSet === undefined ? [...settings.pausable] : settings.pausable.filter((s) => s === alarm.configurationSet);
  if (sets.length === 0) return { kind: 'ignore', why: `configuration set ${alarm.configurationSet ?? '(account)'} is not pausable` };
  return { kind: 'pause', alarm, sets, rate: change.value, at: change.at };
}

/** One pause, as the audit trail keeps it and the announcements tell it. */
export interface PauseRecord {
  readonly configurationSet: string;
  readonly alarmName: string;
  readonly metric: 'bounce' | 'complaint';
  readonly threshold: number;
  readonly rate?: number;
  /** When the alarm changed state. */
  readonly at: string;
}

/** The sending switch of SES configuration sets (SESv2 GetConfigurationSet / PutConfigurationSetSendingOptions). */
export interface ConfigurationSetSending {
  isSending(configurationSet: string): Promise<boolean>;
  setSending(configurationSet: string, enabled: boolean): Promise<void>;
}

/** Where pauses and resumptions are recorded (the audit trail). */
export interface GuardrailLog {
  recordPause(pause: PauseRecord): Promise<void>;
}

/** Tells the user's own systems ("Configuration Set Paused" events). */
export interface PauseAnnouncements {
  announcePause(pause: PauseRecord): Promise<void>;
}

export interface GuardrailPorts {
  readonly sending: ConfigurationSetSending;
  readonly log: GuardrailLog;
  readonly alerts: AlertNotifier;
  readonly announcements: PauseAnnouncements;
}

/** What one alarm state change did. */
export interface GuardrailOutcome {
  readonly decision: GuardrailDecision;
  /** Sets paused now. */
  readonly paused: readonly string[];
  /** Sets that were paused already (a repeated event, or paused by hand): left as they are. */
  readonly alreadyPaused: readonly string[];
}

/**
 * Applies a decision: pauses each set that still sends, then records and announces it. Idempotent:
 * a repeated event finds the set paused and does nothing more. A set that cannot be paused makes
 * the whole call fail after a loud alert (the caller's retries try again): that is the one moment
 * the team must hear about.
 */
export async function applyGuardrail(change: AlarmStateChange, settings: GuardrailSettings, ports: GuardrailPorts): Promise<GuardrailOutcome> {
  const decision = decidePause(change, settings);
  if (decision.kind === 'ignore') return { decision, paused: [], alreadyPaused: [] };
  const paused: string[] = [];
  const alreadyPaused: string[] = [];
  const failed: Array<{ set: string; error: string }> = [];
  for (const set of decision.sets) {
    try {
      if (!(await ports.sending.isSending(set))) {
        alreadyPaused.push(set);
        continue;
      }
      await ports.sending.setSending(set, false);
    } catch (error) {
      failed.push({ set, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      continue;
    }
    const pause: PauseRecord = {
      configurationSet: set,
      alarmName: decision.alarm.alarmName,
      metric: decision.alarm.metric,
      threshold: decision.alarm.threshold,
      rate: decision.rate,
      at: decision.at,
    };
    await ports.log.recordPause(pause);
    await ports.announcements.announcePause(pause);
    await ports.alerts.notify(`SES sending paused: ${set}`, pauseMessage(pause, settings));
    paused.push(set);
  }
  if (failed.length > 0) {
    await ports.alerts.notify(
      `FAILED to pause SES sending: ${failed.map((f) => f.set).join(', ')}`,
      failureMessage(decision.alarm, failed, decision.rate),
    );
    throw new Error(`could not pause ${failed.map((f) => `${f.set} (${f.error})`).join(', ')}`);
  }
  return { decision, paused, alreadyPaused };
}

/** A fraction as a percentage with up to 3 significant digits: 0.061 → "6.1 %". */
export function asPercent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))} %`;
}

/** The alert for a pause, in words a human acts on. */
export function pauseMessage(pause: PauseRecord, settings: Pick<GuardrailSettings, 'allSets' | 'pausable'>): string {
  const rate = pause.rate === undefined ? `its ${pause.metric} rate` : `${asPercent(pause.rate)} ${pause.metric} rate`;
  const keep = settings.allSets.filter((s) => s !== pause.configurationSet && !settings.pausable.includes(s));
  return [
    `${pause.configurationSet} paused at ${rate} (critical ${asPercent(pause.threshold)}), at ${pause.at}, by alarm ${pause.alarmName}.`,
    keep.length > 0 ? `${keep.join(', ')} keep${keep.length === 1 ? 's' : ''} sending.` : 'No other configuration set is exempt from pausing.',
    `SES accepts no mail for ${pause.configurationSet} until it is resumed: find the cause (ses-feedback report), fix it, then resume with`,
    `  npx ses-feedback resume ${pause.configurationSet} --note "what was fixed"`,
    'The resume is refused while the alarm is still in ALARM, unless --force.',
  ].join('\n');
}

function failureMessage(alarm: GuardedAlarm, failed: ReadonlyArray<{ set: string; error: string }>, rate: number | undefined): string {
  return [
    `Alarm ${alarm.alarmName} crossed its critical line${rate === undefined ? '' : ` (${asPercent(rate)} ${alarm.metric} rate, critical ${asPercent(alarm.threshold)})`}, and the guardrail could NOT pause:`,
    ...failed.map((f) => `  ${f.set}: ${f.error}`),
    'It will try again; pause by hand now if this persists:',
    ...failed.map((f) => `  aws sesv2 put-configuration-set-sending-options --configuration-set-name ${f.set} --no-sending-enabled`),
  ].join('\n');
}
