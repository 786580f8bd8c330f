import * as z from 'zod/mini';
import { CONFIGURATION_SET_DIMENSION, PROBATION_CHECK_EVENT } from '../shared/contract.js';
import type { AlertNotifier } from '../shared/ports.js';

/**
 * The guardrail: when a critical reputation alarm goes to ALARM, pause sending for the
 * configuration sets it watches (only those the user made pausable), before AWS pauses the whole
 * account. Every pause is recorded in the audit trail and announced to the team and to the user's
 * own systems; an operator resumes with `ses-feedback resume`.
 */

/**
 * A critical alarm the guardrail acts on. An account-wide alarm watches SES's account rate and
 * pauses every pausable set; a per-set alarm is one Metrics Insights alarm over every
 * configuration set (`GROUP BY "ses:configuration-set"`), whose contributor events name the set.
 */
export interface GuardedAlarm {
  /** The CloudWatch alarm's name, as the state-change events name it. */
  readonly alarmName: string;
  readonly metric: 'bounce' | 'complaint';
  /** Fraction (0.05 = 5 %). */
  readonly threshold: number;
  readonly scope: 'account' | 'per-set';
}

/** What the guardrail was deployed with: nothing here grows with the number of configuration sets but {@link existingPausable}. */
export interface GuardrailSettings {
  readonly alarms: readonly GuardedAlarm[];
  /** A set carrying this tag with this value is pausable (the stack tags the managed sets it may pause). */
  readonly pausableTag: { readonly key: string; readonly value: string };
  /** Sets the stack does not own (and so cannot tag) that it may pause, by their SES names. */
  readonly existingPausable: readonly string[];
}

const settingsSchema = z.object({
  alarms: z.array(
    z.object({
      alarmName: z.string().check(z.minLength(1)),
      metric: z.enum(['bounce', 'complaint']),
      threshold: z.number(),
      scope: z.enum(['account', 'per-set']),
    }),
  ),
  pausableTag: z.object({ key: z.string().check(z.minLength(1)), value: z.string().check(z.minLength(1)) }),
  existingPausable: z.array(z.string()),
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

/**
 * CloudWatch's alarm events, as EventBridge delivers them: the fields the guardrail reads.
 * "CloudWatch Alarm State Change" is the whole alarm's; "CloudWatch Alarm Contributor State
 * Change" is one time series' of a multi-time-series (Metrics Insights `GROUP BY`) alarm, whose
 * `alarmContributor.attributes` carry the series' dimensions.
 */
const alarmStateChangeSchema = z.object({
  'detail-type': z.enum(['CloudWatch Alarm State Change', 'CloudWatch Alarm Contributor State Change']),
  source: z.literal('aws.cloudwatch'),
  time: z.string(),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({ value: z.string(), reason: z.optional(z.string()), reasonData: z.optional(z.string()), timestamp: z.optional(z.string()) }),
    previousState: z.optional(z.object({ value: z.string() })),
    alarmContributor: z.optional(z.object({ id: z.string(), attributes: z.record(z.string(), z.string()) })),
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
  /** For a contributor's change: the configuration set of the time series (undefined when its attributes name none). */
  readonly contributor?: { readonly configurationSet?: string };
}

/**
 * Reads a "CloudWatch Alarm State Change" or "CloudWatch Alarm Contributor State Change" event.
 *
 * @throws Error with a one-line reason when it is neither
 */
export function readAlarmStateChange(event: unknown): AlarmStateChange {
  const parsed = alarmStateChangeSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`not a CloudWatch alarm state change event: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const { detail, time } = parsed.data;
  const at = Date.parse(time);
  if (Number.isNaN(at)) throw new Error('not a CloudWatch alarm state change event: time: is not a timestamp');
  const contributor = parsed.data['detail-type'] === 'CloudWatch Alarm Contributor State Change' ? { configurationSet: detail.alarmContributor?.attributes[CONFIGURATION_SET_DIMENSION] } : undefined;
  return {
    alarmName: detail.alarmName,
    state: detail.state.value,
    previousState: detail.previousState?.value,
    at: new Date(at).toISOString(),
    value: newestDatapoint(detail.state.reasonData) ?? crossingDatapoint(detail.state.reason),
    ...(contributor ? { contributor } : {}),
  };
}

/**
 * A contributor's event has no `reasonData`; its `reason` names the datapoint: "... The most recent
 * datapoint which crossed the threshold: [0.061 (02/10/19 16:59:00)]."
 */
function crossingDatapoint(reason: string | undefined): number | undefined {
  const match = /crossed the threshold: \[(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(reason ?? '');
  return match ? Number(match[1]) : undefined;
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

/**
 * CloudFormation's "CloudFormation Stack Status Change" event, as EventBridge delivers it: the
 * fields the guardrail reads when the stack's own update (or its rollback) has finished.
 */
const stackStatusChangeSchema = z.object({
  'detail-type': z.literal('CloudFormation Stack Status Change'),
  source: z.literal('aws.cloudformation'),
  time: z.string(),
  detail: z.object({ 'stack-id': z.string(), 'status-details': z.object({ status: z.string() }) }),
});

/** A deploy of the stack finished: the moment to switch off again what it may have switched on. */
export interface DeployFinished {
  readonly stackId: string;
  /** UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, ... */
  readonly status: string;
  readonly at: string;
}

/** What the guardrail is woken by: an alarm's (or contributor's) state change, a finished deploy of its stack, or its schedule's look at the sets on probation. */
export type GuardrailEvent =
  | { readonly kind: 'alarm'; readonly change: AlarmStateChange }
  | { readonly kind: 'deploy'; readonly deploy: DeployFinished }
  | { readonly kind: 'probation-check' };



/**
 * Reads what woke the guardrail.
 *
 * @throws Error with a one-line reason when it is neither an alarm state change nor a stack status change
 */
export function readGuardrailEvent(event: unknown): GuardrailEvent {
  if ((event as { type?: unknown } | null)?.type === PROBATION_CHECK_EVENT.type) return { kind: 'probation-check' };
  const stack = stackStatusChangeSchema.safeParse(event);
  if (stack.success) {
    const at = Date.parse(stack.data.time);
    return { kind: 'deploy', deploy: { stackId: stack.data.detail['stack-id'], status: stack.data.detail['status-details'].status, at: Number.isNaN(at) ? stack.data.time : new Date(at).toISOString() } };
  }
  return { kind: 'alarm', change: readAlarmStateChange(event) };
}

/** What to do about one alarm state change: pause one named set, or every pausable set. */
export type GuardrailDecision =
  | { readonly kind: 'pause'; readonly alarm: GuardedAlarm; readonly sets: 'every-pausable-set' | readonly [string]; readonly rate?: number; readonly at: string }
  | { readonly kind: 'ignore'; readonly why: string };

/**
 * Decides, purely, what an alarm state change pauses: only a change to ALARM of a guarded
 * (critical) alarm. An account-wide alarm's change pauses every pausable set; a per-set alarm acts
 * on its contributors' changes only, each naming its set (the whole alarm's own change names
 * none). Whether a set is pausable is known only from the set itself: {@link applyGuardrail} asks.
 */
export function decidePause(change: AlarmStateChange, settings: Pick<GuardrailSettings, 'alarms'>): GuardrailDecision {
  const alarm = settings.alarms.find((a) => a.alarmName === change.alarmName);
  if (!alarm) return { kind: 'ignore', why: `alarm ${change.alarmName} is not a critical reputation alarm the guardrail acts on` };
  if (change.state !== 'ALARM') return { kind: 'ignore', why: `alarm ${change.alarmName} went to ${change.state}, not ALARM` };
  if (alarm.scope === 'account') return { kind: 'pause', alarm, sets: 'every-pausable-set', rate: change.value, at: change.at };
  if (change.contributor === undefined) return { kind: 'ignore', why: `alarm ${change.alarmName} watches each configuration set: its contributors' events name the set` };
  const set = change.contributor.configurationSet;
  if (set === undefined) return { kind: 'ignore', why: `a contributor of alarm ${change.alarmName} names no ${CONFIGURATION_SET_DIMENSION}` };
  return { kind: 'pause', alarm, sets: [set], rate: change.value, at: change.at };
}

/** Whether the guardrail may pause a set: tagged by the stack as pausable, or an existing set named pausable. */
export function isPausable(configurationSet: string, tags: Readonly<Record<string, string>>, settings: Pick<GuardrailSettings, 'pausableTag' | 'existingPausable'>): boolean {
  return tags[settings.pausableTag.key] === settings.pausableTag.value || settings.existingPausable.includes(configurationSet);
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

/** A configuration set as the guardrail reads it: its sending switch and its tags. */
export interface ConfigurationSetState {
  readonly sending: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

/** The sending switch of SES configuration sets (SESv2 ListConfigurationSets / GetConfigurationSet / PutConfigurationSetSendingOptions). */
export interface ConfigurationSetSending {
  /** Every configuration set of the account in this region, by name. */
  listNames(): Promise<string[]>;
  describe(configurationSet: string): Promise<ConfigurationSetState>;
  setSending(configurationSet: string, enabled: boolean): Promise<void>;
}

/** Where pauses and resumptions are recorded (the audit trail). */
export interface GuardrailLog {
  recordPause(pause: PauseRecord): Promise<void>;
  /** Whether the set's latest entry is a pause (not a resumption, not nothing). */
  isRecordedPaused(configurationSet: string): Promise<boolean>;
  /** Whether the set was resumed on probation that has not ended (see probation.ts): its own rates judge it, not its alarms. */
  isOnProbation(configurationSet: string): Promise<boolean>;
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
  /** Sets paused now (or found paused with no pause recorded: a run cut short after the switch; recorded now). */
  readonly paused: readonly string[];
  /** Sets that were paused and recorded already (a repeated event, or paused by hand): left as they are. */
  readonly alreadyPaused: readonly string[];
  /** Sets the alarm named (or, account-wide, every other set) that are not pausable: they keep sending. */
  readonly notPausable: readonly string[];
  /** Sets a contributor named that SES no longer has (deleted within the 3 hours a query reads): nothing to pause. */
  readonly gone: readonly string[];
  /** Sets on probation: their alarms carry the mail that paused them, so their rates since the resume judge them (probation.ts). */
  readonly onProbation: readonly string[];
}

/**
 * Applies a decision: reads each set it names (every set of the account for an account-wide
 * alarm), pauses each pausable one that still sends, then records, announces and alerts it, set by
 * set. Idempotent: a repeated event finds the set paused and recorded and does nothing more; a set
 * found paused with no pause recorded (a run that died between the switch and the record) is
 * recorded and told now. Anything that fails for a set makes the whole call fail after a loud alert
 * (the caller's retries try again), once every other set had its turn: that is the one moment the
 * team must hear about.
 */
export async function applyGuardrail(change: AlarmStateChange, settings: GuardrailSettings, ports: GuardrailPorts): Promise<GuardrailOutcome> {
  const decision = decidePause(change, settings);
  const outcome = { decision, paused: [] as string[], alreadyPaused: [] as string[], notPausable: [] as string[], gone: [] as string[], onProbation: [] as string[] };
  if (decision.kind === 'ignore') return outcome;
  const failed: Array<{ set: string; error: string }> = [];
  const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  let sets: readonly string[] = [];
  try {
    sets = decision.sets === 'every-pausable-set' ? await ports.sending.listNames() : decision.sets;
  } catch (error) {
    failed.push({ set: '(the list of configuration sets)', error: describe(error) });
  }
  const accountWide = decision.sets === 'every-pausable-set';
  for (const set of sets) {
    try {
      const state = await ports.sending.describe(set);
      if (!isPausable(set, state.tags, settings)) {
        outcome.notPausable.push(set);
        continue;
      }
      if (!state.sending && (await ports.log.isRecordedPaused(set))) {
        outcome.alreadyPaused.push(set);
        continue;
      }
      if (state.sending && (await ports.log.isOnProbation(set))) {
        outcome.onProbation.push(set);
        continue;
      }
      if (state.sending) await ports.sending.setSending(set, false);
      const pause: PauseRecord = { configurationSet: set, alarmName: decision.alarm.alarmName, metric: decision.alarm.metric, threshold: decision.alarm.threshold, rate: decision.rate, at: decision.at };
      await ports.log.recordPause(pause);
      await ports.announcements.announcePause(pause);
      await ports.alerts.notify(`SES sending paused: ${set}`, pauseMessage(pause, accountWide));
      outcome.paused.push(set);
    } catch (error) {
      if ((error as { name?: string }).name === 'NotFoundException' && !accountWide) {
        outcome.gone.push(set);
        continue;
      }
      failed.push({ set, error: describe(error) });
    }
  }
  if (failed.length > 0) {
    await ports.alerts.notify(`FAILED to pause SES sending: ${failed.map((f) => f.set).join(', ')}`, failureMessage(decision.alarm, failed, decision.rate));
    throw new Error(`could not pause ${failed.map((f) => `${f.set} (${f.error})`).join(', ')}`);
  }
  return outcome;
}

/** What re-applying the recorded pauses after a deploy did. */
export interface ReapplyOutcome {
  /** Sets whose latest entry is a pause that were sending again after the deploy: switched off again. */
  readonly repaused: readonly string[];
  /** Sets whose latest entry is a pause that the deploy left paused. */
  readonly stillPaused: readonly string[];
}

/**
 * After a deploy of the stack: every pausable set whose latest entry in the log is a pause (and
 * not a resumption) is paused again if it sends. The template does not set the sets' sending
 * status, so a deploy should leave a paused set paused; this holds even should CloudFormation
 * re-apply SES's default (sending) to a set it updates. Only `ses-feedback resume` (which records
 * the resumption) turns a paused set back on for good. Each re-pause is alerted; anything that
 * fails alerts loudly and throws, for the retry.
 */
export async function reapplyPauses(deploy: DeployFinished, settings: Pick<GuardrailSettings, 'pausableTag' | 'existingPausable'>, ports: Omit<GuardrailPorts, 'announcements'>): Promise<ReapplyOutcome> {
  const outcome = { repaused: [] as string[], stillPaused: [] as string[] };
  const failed: Array<{ set: string; error: string }> = [];
  const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  let sets: readonly string[] = [];
  try {
    sets = await ports.sending.listNames();
  } catch (error) {
    failed.push({ set: '(the list of configuration sets)', error: describe(error) });
  }
  for (const set of sets) {
    try {
      // The log first: a query of the table per set, no SES call for a set never paused.
      if (!(await ports.log.isRecordedPaused(set))) continue;
      const state = await ports.sending.describe(set);
      // Made not pausable since (the user's choice, and the role may no longer switch it): left as it is.
      if (!isPausable(set, state.tags, settings)) continue;
      if (!state.sending) {
        outcome.stillPaused.push(set);
        continue;
      }
      await ports.sending.setSending(set, false);
      await ports.alerts.notify(`SES sending paused again after a deploy: ${set}`, repauseMessage(set, deploy));
      outcome.repaused.push(set);
    } catch (error) {
      if ((error as { name?: string }).name === 'NotFoundException') continue;
      failed.push({ set, error: describe(error) });
    }
  }
  if (failed.length > 0) {
    await ports.alerts.notify(
      `FAILED to keep SES sending paused after a deploy: ${failed.map((f) => f.set).join(', ')}`,
      [
        `The deploy of ${deploy.stackId} finished (${deploy.status}) at ${deploy.at}; the guardrail could NOT check or re-pause:`,
        ...failed.map((f) => `  ${f.set}: ${f.error}`),
        'It will try again; check by hand now if this persists: aws sesv2 get-configuration-set --configuration-set-name <set>',
      ].join('\n'),
    );
    throw new Error(`could not re-apply the pauses after a deploy: ${failed.map((f) => `${f.set} (${f.error})`).join(', ')}`);
  }
  return outcome;
}

function repauseMessage(set: string, deploy: DeployFinished): string {
  return [
    `${set} was paused by the guardrail and found sending after the deploy of ${deploy.stackId} finished (${deploy.status}) at ${deploy.at}: it is paused again.`,
    'It may have sent for the minutes between its update and now. A set turned back on other than by ses-feedback resume (the SES console, the CLI) is paused again at each deploy: resume it with',
    `  npx ses-feedback resume ${set} --note "what was fixed"`,
  ].join('\n');
}

/** A fraction as a percentage with up to 3 significant digits: 0.061 → "6.1 %". */
export function asPercent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))} %`;
}

/**
 * The alert for a pause, in words a human acts on.
 *
 * @param accountWide whether the account's rate crossed (every pausable set is paused) rather than the set's own
 */
export function pauseMessage(pause: PauseRecord, accountWide = false): string {
  const rate = pause.rate === undefined ? `${pause.metric} rate` : `${asPercent(pause.rate)} ${pause.metric} rate`;
  return [
    `${pause.configurationSet} paused at ${accountWide ? "the account's" : 'its own'} ${rate} (critical ${asPercent(pause.threshold)}), at ${pause.at}, by alarm ${pause.alarmName}.`,
    accountWide ? 'The account crossed its line: every pausable set is paused; the sets not tagged pausable keep sending.' : 'Every other configuration set keeps sending.',
    `SES accepts no mail for ${pause.configurationSet} until it is resumed: find the cause (ses-feedback report), fix it, then resume with`,
    `  npx ses-feedback resume ${pause.configurationSet} --note "what was fixed"`,
    'The resume asks that every address that bounced or complained is on the list first; the set then sends on probation.',
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
