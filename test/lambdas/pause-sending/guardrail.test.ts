import { applyGuardrail, decidePause, readAlarmStateChange, readGuardrailSettings, type ConfigurationSetSending, type GuardrailSettings, type PauseRecord } from '../../../lambdas/pause-sending/guardrail.js';
import { fixtureJson } from '../../support/fixtures.js';

/** AWS's documented "CloudWatch Alarm State Change" event, for one of our alarms, at a rate. */
function alarmEvent(alarmName: string, state = 'ALARM', rate = 0.061): unknown {
  const event = fixtureJson('derived/cloudwatch-alarm-state-change.json');
  event.detail.alarmName = alarmName;
  event.detail.state.value = state;
  event.detail.state.reasonData = JSON.stringify({ ...JSON.parse(event.detail.state.reasonData), recentDatapoints: [rate], threshold: 0.05 });
  return event;
}

const SETTINGS: GuardrailSettings = {
  alarms: [
    { alarmName: 'marketing-bounce-critical', metric: 'bounce', threshold: 0.05, configurationSet: 'Prod-marketing' },
    { alarmName: 'transactional-bounce-critical', metric: 'bounce', threshold: 0.05, configurationSet: 'Prod-transactional' },
    { alarmName: 'account-complaint-critical', metric: 'complaint', threshold: 0.001 },
  ],
  pausable: ['Prod-marketing', 'Prod-newsletter'],
  allSets: ['Prod-transactional', 'Prod-marketing', 'Prod-newsletter'],
};

/** Fakes of the guardrail's ports that record what happened. */
function ports(sendingNow: Record<string, boolean>, failing: string[] = []) {
  const sending = { ...sendingNow };
  const calls: string[] = [];
  const pauses: PauseRecord[] = [];
  const announced: PauseRecord[] = [];
  const alerts: Array<{ subject: string; message: string }> = [];
  const switcher: ConfigurationSetSending = {
    isSending: async (set) => sending[set] ?? true,
    setSending: async (set, enabled) => {
      calls.push(`${set}=${enabled}`);
      if (failing.includes(set)) throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
      sending[set] = enabled;
    },
  };
  return {
    sending,
    calls,
    pauses,
    announced,
    alerts,
    ports: {
      sending: switcher,
      log: { recordPause: async (p: PauseRecord) => void pauses.push(p) },
      announcements: { announcePause: async (p: PauseRecord) => void announced.push(p) },
      alerts: { notify: async (subject: string, message: string) => void alerts.push({ subject, message }) },
    },
  };
}

describe('reading the alarm event', () => {
  it('reads AWS\'s documented event: name, states, time and the newest datapoint of reasonData', () => {
    expect(readAlarmStateChange(fixtureJson('derived/cloudwatch-alarm-state-change.json'))).toEqual({
      alarmName: 'ServerCpuTooHigh',
      state: 'ALARM',
      previousState: 'OK',
      at: '2019-10-02T17:04:40.000Z',
      value: 99.50160229693434,
    });
  });

  it('rejects an event that is not an alarm state change, with a one-line reason', () => {
    expect(() => readAlarmStateChange({ 'detail-type': 'Scheduled Event', source: 'aws.events' })).toThrow(/^not a CloudWatch Alarm State Change event: detail-type: /);
  });

  it('reads the settings the stack writes, and names a bad field', () => {
    expect(readGuardrailSettings(JSON.stringify(SETTINGS))).toEqual(SETTINGS);
    expect(() => readGuardrailSettings('{"alarms":[{"alarmName":"a","metric":"opens","threshold":1}],"pausable":[],"allSets":[]}')).toThrow(/^guardrail settings are not valid: alarms\.0\.metric/);
  });
});

describe('which sets an alarm pauses', () => {
  it.each([
    ['pauses the set of a critical per-set alarm that went to ALARM', 'marketing-bounce-critical', 'ALARM', { kind: 'pause', sets: ['Prod-marketing'] }],
    ['pauses every pausable set on an account-wide critical alarm', 'account-complaint-critical', 'ALARM', { kind: 'pause', sets: ['Prod-marketing', 'Prod-newsletter'] }],
    ['ignores a set that is not pausable (transactional mail keeps flowing)', 'transactional-bounce-critical', 'ALARM', { kind: 'ignore', why: 'configuration set Prod-transactional is not pausable' }],
    ['ignores an alarm going back to OK', 'marketing-bounce-critical', 'OK', { kind: 'ignore', why: 'alarm marketing-bounce-critical went to OK, not ALARM' }],
    ['ignores a warning alarm (not one the guardrail acts on)', 'marketing-bounce-warning', 'ALARM', { kind: 'ignore', why: 'alarm marketing-bounce-warning is not a critical reputation alarm the guardrail acts on' }],
  ])('%s', (_name, alarmName, state, expected) => {
    expect(decidePause(readAlarmStateChange(alarmEvent(alarmName, state)), SETTINGS)).toMatchObject(expected);
  });
});

describe('applying the guardrail', () => {
  it('pauses marketing, records the pause with the rate, announces it, and tells the team in words to act on', async () => {
    const fake = ports({});
    const outcome = await applyGuardrail(readAlarmStateChange(alarmEvent('marketing-bounce-critical')), SETTINGS, fake.ports);
    expect(outcome).toMatchObject({ paused: ['Prod-marketing'], alreadyPaused: [] });
    expect(fake.calls).toEqual(['Prod-marketing=false']);
    const pause = { configurationSet: 'Prod-marketing', alarmName: 'marketing-bounce-critical', metric: 'bounce', threshold: 0.05, rate: 0.061, at: '2019-10-02T17:04:40.000Z' };
    expect(fake.pauses).toEqual([pause]);
    expect(fake.announced).toEqual([pause]);
    expect(fake.alerts).toHaveLength(1);
    expect(fake.alerts[0]?.subject).toBe('SES sending paused: Prod-marketing');
    expect(fake.alerts[0]?.message).toMatch(/^Prod-marketing paused at 6\.1 % bounce rate \(critical 5 %\), at 2019-10-02T17:04:40\.000Z, by alarm marketing-bounce-critical\.\nProd-transactional keeps sending\./);
    expect(fake.alerts[0]?.message).toContain('npx ses-feedback resume Prod-marketing --note "what was fixed"');
  });

  it('pauses once when the same alarm event comes again (the set is paused already)', async () => {
    const fake = ports({});
    const change = readAlarmStateChange(alarmEvent('marketing-bounce-critical'));
    await applyGuardrail(change, SETTINGS, fake.ports);
    const again = await applyGuardrail(change, SETTINGS, fake.ports);
    expect(again).toMatchObject({ paused: [], alreadyPaused: ['Prod-marketing'] });
    expect(fake.calls).toEqual(['Prod-marketing=false']);
    expect(fake.pauses).toHaveLength(1);
    expect(fake.alerts).toHaveLength(1);
  });

  it('does nothing for a warning, an OK, or a set that is not pausable', async () => {
    const fake = ports({});
    for (const [name, state] of [['marketing-bounce-warning', 'ALARM'], ['marketing-bounce-critical', 'OK'], ['transactional-bounce-critical', 'ALARM']] as const) {
      await applyGuardrail(readAlarmStateChange(alarmEvent(name, state)), SETTINGS, fake.ports);
    }
    expect([fake.calls, fake.pauses, fake.alerts]).toEqual([[], [], []]);
  });

  it('fails loudly when a set cannot be paused: an alert that says how to pause by hand, then an error for the retry; the other set is paused', async () => {
    const fake = ports({}, ['Prod-newsletter']);
    await expect(applyGuardrail(readAlarmStateChange(alarmEvent('account-complaint-critical', 'ALARM', 0.0012)), SETTINGS, fake.ports)).rejects.toThrow(
      'could not pause Prod-newsletter (TooManyRequestsException: Rate exceeded)',
    );
    expect(fake.sending).toEqual({ 'Prod-marketing': false });
    expect(fake.alerts.map((a) => a.subject)).toEqual(['SES sending paused: Prod-marketing', 'FAILED to pause SES sending: Prod-newsletter']);
    expect(fake.alerts[1]?.message).toContain('aws sesv2 put-configuration-set-sending-options --configuration-set-name Prod-newsletter --no-sending-enabled');
  });
});
