import { applyGuardrail, decidePause, reapplyPauses, readAlarmStateChange, readGuardrailEvent, readGuardrailSettings, type ConfigurationSetSending, type GuardrailSettings, type PauseRecord } from '../../../lambdas/pause-sending/guardrail.js';
import { fixtureJson } from '../../support/fixtures.js';

/** AWS's documented "CloudWatch Alarm State Change" event, for one of our alarms, at a rate. */
function alarmEvent(alarmName: string, state = 'ALARM', rate = 0.061): unknown {
  const event = fixtureJson('derived/cloudwatch-alarm-state-change.json');
  event.detail.alarmName = alarmName;
  event.detail.state.value = state;
  event.detail.state.reasonData = JSON.stringify({ ...JSON.parse(event.detail.state.reasonData), recentDatapoints: [rate], threshold: 0.05 });
  return event;
}

/** CloudWatch's "CloudWatch Alarm Contributor State Change" event: one configuration set of a per-set alarm, at a rate. */
function contributorEvent(alarmName: string, configurationSet: string, state = 'ALARM', rate = 0.061): unknown {
  const event = fixtureJson('derived/cloudwatch-alarm-contributor-state-change.json');
  event.detail.alarmName = alarmName;
  event.detail.alarmContributor.attributes['ses:configuration-set'] = configurationSet;
  event.detail.state.value = state;
  event.detail.state.reason = event.detail.state.reason.replace('[0.061 ', `[${rate} `);
  return event;
}

const TAG = { key: 'ses-feedback-pipeline:pausable', value: 'Prod' };
const SETTINGS: GuardrailSettings = {
  alarms: [
    { alarmName: 'sets-bounce-critical', metric: 'bounce', threshold: 0.05, scope: 'per-set' },
    { alarmName: 'account-complaint-critical', metric: 'complaint', threshold: 0.001, scope: 'account' },
  ],
  pausableTag: TAG,
  existingPausable: ['legacy-newsletter'],
};

/** Fakes of the guardrail's ports that record what happened; `tagged` sets carry the stack's pausable tag. */
function ports(sets: Record<string, { tagged: boolean; sending?: boolean }>, failing: string[] = [], faults: { recordFailures?: number; listFails?: boolean; resumed?: string[]; onProbation?: string[] } = {}) {
  let recordFailures = faults.recordFailures ?? 0;
  const sending = Object.fromEntries(Object.entries(sets).map(([name, s]) => [name, s.sending ?? true]));
  const calls: string[] = [];
  const pauses: PauseRecord[] = [];
  const announced: PauseRecord[] = [];
  const alerts: Array<{ subject: string; message: string }> = [];
  const switcher: ConfigurationSetSending = {
    listNames: async () => {
      if (faults.listFails) throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
      return Object.keys(sets);
    },
    describe: async (set) => {
      if (!(set in sets)) throw Object.assign(new Error(`Configuration set <${set}> does not exist.`), { name: 'NotFoundException' });
      return { sending: sending[set] ?? true, tags: sets[set]?.tagged ? { [TAG.key]: TAG.value, team: 'growth' } : { team: 'growth' } };
    },
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
      log: {
        recordPause: async (p: PauseRecord) => {
          if (recordFailures-- > 0) throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
          pauses.push(p);
        },
        isRecordedPaused: async (set: string) => pauses.some((p) => p.configurationSet === set) && !(faults.resumed ?? []).includes(set),
        isOnProbation: async (set: string) => (faults.onProbation ?? []).includes(set),
      },
      announcements: { announcePause: async (p: PauseRecord) => void announced.push(p) },
      alerts: { notify: async (subject: string, message: string) => void alerts.push({ subject, message }) },
    },
  };
}

/** A stack's sets: marketing and newsletter tagged pausable, transactional not, an existing set named pausable, another stack's set. */
const SETS = {
  'Prod-transactional': { tagged: false },
  'Prod-marketing': { tagged: true },
  'Prod-newsletter': { tagged: true },
  'legacy-newsletter': { tagged: false },
  'Other-marketing': { tagged: false },
};

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

  it('reads a contributor\'s event: the configuration set from its attributes', () => {
    expect(readAlarmStateChange(contributorEvent('sets-bounce-critical', 'Prod-marketing'))).toMatchObject({
      alarmName: 'sets-bounce-critical',
      state: 'ALARM',
      value: 0.061,
      contributor: { configurationSet: 'Prod-marketing' },
    });
  });

  it('rejects an event that is not an alarm state change, with a one-line reason', () => {
    expect(() => readAlarmStateChange({ 'detail-type': 'Scheduled Event', source: 'aws.events' })).toThrow(/^not a CloudWatch alarm state change event: detail-type: /);
  });

  it('reads the settings the stack writes, and names a bad field', () => {
    expect(readGuardrailSettings(JSON.stringify(SETTINGS))).toEqual(SETTINGS);
    expect(() => readGuardrailSettings('{"alarms":[{"alarmName":"a","metric":"opens","threshold":1,"scope":"account"}],"pausableTag":{"key":"k","value":"v"},"existingPausable":[]}')).toThrow(
      /^guardrail settings are not valid: alarms\.0\.metric/,
    );
  });
});

describe('what an alarm event pauses', () => {
  it.each([
    ['a per-set alarm\'s contributor names its set', contributorEvent('sets-bounce-critical', 'Prod-marketing'), { kind: 'pause', sets: ['Prod-marketing'] }],
    ['an account-wide alarm pauses every pausable set', alarmEvent('account-complaint-critical'), { kind: 'pause', sets: 'every-pausable-set' }],
    [
      'the per-set alarm\'s own change names no set: ignored (its contributors\' events follow)',
      alarmEvent('sets-bounce-critical'),
      { kind: 'ignore', why: "alarm sets-bounce-critical watches each configuration set: its contributors' events name the set" },
    ],
    ['a contributor going back to OK', contributorEvent('sets-bounce-critical', 'Prod-marketing', 'OK'), { kind: 'ignore', why: 'alarm sets-bounce-critical went to OK, not ALARM' }],
    ['a warning alarm (not one the guardrail acts on)', contributorEvent('sets-bounce-warning', 'Prod-marketing'), { kind: 'ignore', why: 'alarm sets-bounce-warning is not a critical reputation alarm the guardrail acts on' }],
  ])('%s', (_name, event, expected) => {
    expect(decidePause(readAlarmStateChange(event), SETTINGS)).toMatchObject(expected);
  });
});

describe('applying the guardrail', () => {
  it('pauses marketing, records the pause with the rate, announces it, and tells the team in words to act on', async () => {
    const fake = ports(SETS);
    const outcome = await applyGuardrail(readAlarmStateChange(contributorEvent('sets-bounce-critical', 'Prod-marketing')), SETTINGS, fake.ports);
    expect(outcome).toMatchObject({ paused: ['Prod-marketing'], alreadyPaused: [], notPausable: [] });
    expect(fake.calls).toEqual(['Prod-marketing=false']);
    const pause = { configurationSet: 'Prod-marketing', alarmName: 'sets-bounce-critical', metric: 'bounce', threshold: 0.05, rate: 0.061, at: '2019-10-02T17:04:40.000Z' };
    expect(fake.pauses).toEqual([pause]);
    expect(fake.announced).toEqual([pause]);
    expect(fake.alerts).toHaveLength(1);
    expect(fake.alerts[0]?.subject).toBe('SES sending paused: Prod-marketing');
    expect(fake.alerts[0]?.message).toMatch(/^Prod-marketing paused at its own 6\.1 % bounce rate \(critical 5 %\), at 2019-10-02T17:04:40\.000Z, by alarm sets-bounce-critical\.\nEvery other configuration set keeps sending\./);
    expect(fake.alerts[0]?.message).toContain('npx ses-feedback resume Prod-marketing --note "what was fixed"');
  });

  it('pauses once when the same contributor event comes again (the set is paused already)', async () => {
    const fake = ports(SETS);
    const change = readAlarmStateChange(contributorEvent('sets-bounce-critical', 'Prod-marketing'));
    await applyGuardrail(change, SETTINGS, fake.ports);
    const again = await applyGuardrail(change, SETTINGS, fake.ports);
    expect(again).toMatchObject({ paused: [], alreadyPaused: ['Prod-marketing'] });
    expect(fake.calls).toEqual(['Prod-marketing=false']);
    expect(fake.pauses).toHaveLength(1);
    expect(fake.alerts).toHaveLength(1);
  });

  it('never pauses a set without the stack\'s tag: transactional, another stack\'s set, one tagged for another stack', async () => {
    const fake = ports({ ...SETS, 'Stage-marketing': { tagged: false } });
    for (const set of ['Prod-transactional', 'Other-marketing']) {
      const outcome = await applyGuardrail(readAlarmStateChange(contributorEvent('sets-bounce-critical', set)), SETTINGS, fake.ports);
      expect(outcome).toMatchObject({ paused: [], notPausable: [set] });
    }
    const otherStack = await applyGuardrail(readAlarmStateChange(contributorEvent('sets-bounce-critical', 'Stage-marketing')), { ...SETTINGS, pausableTag: { ...TAG, value: 'Stage' } }, {
      ...fake.ports,
      sending: { ...fake.ports.sending, describe: async () => ({ sending: true, tags: { [TAG.key]: 'Prod' } }) },
    });
    expect(otherStack).toMatchObject({ paused: [], notPausable: ['Stage-marketing'] });
    expect([fake.calls, fake.pauses, fake.alerts]).toEqual([[], [], []]);
  });

  it('pauses an existing set named pausable, which the stack cannot tag', async () => {
    const fake = ports(SETS);
    const outcome = await applyGuardrail(readAlarmStateChange(contributorEvent('sets-bounce-critical', 'legacy-newsletter')), SETTINGS, fake.ports);
    expect(outcome).toMatchObject({ paused: ['legacy-newsletter'] });
  });

  it('an account-wide alarm pauses every pausable set of the account and says which keep sending', async () => {
    const fake = ports(SETS);
    const outcome = await applyGuardrail(readAlarmStateChange(alarmEvent('account-complaint-critical', 'ALARM', 0.0012)), SETTINGS, fake.ports);
    expect(outcome).toMatchObject({ paused: ['Prod-marketing', 'Prod-newsletter', 'legacy-newsletter'], notPausable: ['Prod-transactional', 'Other-marketing'] });
    expect(fake.alerts[0]?.message).toContain("paused at the account's 0.12 % complaint rate");
    expect(fake.alerts[0]?.message).toContain('every pausable set is paused; the sets not tagged pausable keep sending');
  });

  it('does nothing for a warning, an OK, or the per-set alarm\'s own change', async () => {
    const fake = ports(SETS);
    for (const event of [contributorEvent('sets-bounce-warning', 'Prod-marketing'), contributorEvent('sets-bounce-critical', 'Prod-marketing', 'OK'), alarmEvent('sets-bounce-critical')]) {
      await applyGuardrail(readAlarmStateChange(event), SETTINGS, fake.ports);
    }
    expect([fake.calls, fake.pauses, fake.alerts]).toEqual([[], [], []]);
  });

  it('fails loudly when a set cannot be paused: an alert that says how to pause by hand, then an error for the retry; the other sets are paused', async () => {
    const fake = ports(SETS, ['Prod-newsletter']);
    await expect(applyGuardrail(readAlarmStateChange(alarmEvent('account-complaint-critical', 'ALARM', 0.0012)), SETTINGS, fake.ports)).rejects.toThrow(
      'could not pause Prod-newsletter (TooManyRequestsException: Rate exceeded)',
    );
    expect(fake.sending).toMatchObject({ 'Prod-marketing': false, 'Prod-newsletter': true, 'legacy-newsletter': false, 'Prod-transactional': true });
    expect(fake.alerts.map((a) => a.subject)).toEqual(['SES sending paused: Prod-marketing', 'SES sending paused: legacy-newsletter', 'FAILED to pause SES sending: Prod-newsletter']);
    expect(fake.pauses.map((p) => p.configurationSet)).toEqual(['Prod-marketing', 'legacy-newsletter']);
    expect(fake.alerts[2]?.message).toContain('aws sesv2 put-configuration-set-sending-options --configuration-set-name Prod-newsletter --no-sending-enabled');
  });

  it('does nothing, quietly, for a set SES no longer has (deleted within the 3 hours a query reads)', async () => {
    const fake = ports(SETS);
    const outcome = await applyGuardrail(readAlarmStateChange(contributorEvent('sets-bounce-critical', 'Deleted-set')), SETTINGS, fake.ports);
    expect(outcome).toMatchObject({ paused: [], gone: ['Deleted-set'] });
    expect([fake.calls, fake.alerts]).toEqual([[], []]);
  });

  it('a run that paused a set but could not record it fails loudly; the retry records, announces and tells it, and switches nothing twice', async () => {
    const fake = ports(SETS, [], { recordFailures: 1 });
    const change = readAlarmStateChange(contributorEvent('sets-bounce-critical', 'Prod-marketing'));
    await expect(applyGuardrail(change, SETTINGS, fake.ports)).rejects.toThrow(/could not pause Prod-marketing \(ProvisionedThroughputExceededException/);
    expect(fake.sending['Prod-marketing']).toBe(false);
    expect(fake.alerts.map((a) => a.subject)).toEqual(['FAILED to pause SES sending: Prod-marketing']);
    const retry = await applyGuardrail(change, SETTINGS, fake.ports);
    expect(retry).toMatchObject({ paused: ['Prod-marketing'], alreadyPaused: [] });
    expect(fake.calls).toEqual(['Prod-marketing=false']);
    expect(fake.pauses).toHaveLength(1);
    expect(fake.announced).toHaveLength(1);
    expect(fake.alerts.map((a) => a.subject)).toEqual(['FAILED to pause SES sending: Prod-marketing', 'SES sending paused: Prod-marketing']);
  });

  it('an account-wide alarm that cannot list the sets fails loudly, for the retry', async () => {
    const fake = ports(SETS, [], { listFails: true });
    await expect(applyGuardrail(readAlarmStateChange(alarmEvent('account-complaint-critical', 'ALARM', 0.0012)), SETTINGS, fake.ports)).rejects.toThrow(/could not pause \(the list of configuration sets\) \(TooManyRequestsException/);
    expect(fake.alerts.map((a) => a.subject)).toEqual(['FAILED to pause SES sending: (the list of configuration sets)']);
  });
});

/** CloudFormation's "CloudFormation Stack Status Change" event for the stack, at a status. */
function deployEvent(status = 'UPDATE_COMPLETE'): unknown {
  const event = fixtureJson('derived/cloudformation-stack-status-change.json');
  event.detail['status-details'].status = status;
  return event;
}

describe('a set on probation', () => {
  it('is left to the probation\'s judgement: its alarm still carries the mail that paused it', async () => {
    const fake = ports(SETS, [], { onProbation: ['Prod-marketing'] });
    const outcome = await applyGuardrail(readAlarmStateChange(contributorEvent('sets-bounce-critical', 'Prod-marketing')), SETTINGS, fake.ports);
    expect(outcome).toMatchObject({ paused: [], onProbation: ['Prod-marketing'] });
    expect([fake.calls, fake.alerts]).toEqual([[], []]);
    const others = await applyGuardrail(readAlarmStateChange(contributorEvent('sets-bounce-critical', 'Prod-newsletter')), SETTINGS, fake.ports);
    expect(others.paused).toEqual(['Prod-newsletter']);
  });
});

describe('after a deploy: a paused set stays paused', () => {
  /** The fake after the guardrail paused marketing and newsletter, and an operator resumed newsletter with `ses-feedback resume`. */
  async function pausedThenRedeployed(turnedOn: string[]) {
    const fake = ports(SETS, [], { resumed: ['Prod-newsletter'] });
    for (const set of ['Prod-marketing', 'Prod-newsletter']) await applyGuardrail(readAlarmStateChange(contributorEvent('sets-bounce-critical', set)), SETTINGS, fake.ports);
    fake.sending['Prod-newsletter'] = true; // resumed
    for (const set of turnedOn) fake.sending[set] = true; // what a deploy re-applying SES's default would do
    fake.calls.length = 0;
    fake.alerts.length = 0;
    return fake;
  }

  it('reads the stack status change and tells it from an alarm event', () => {
    expect(readGuardrailEvent(deployEvent())).toEqual({
      kind: 'deploy',
      deploy: { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Prod/07f20e50-1d88-11ee-8d7d-0e6c58bb5b0d', status: 'UPDATE_COMPLETE', at: '2026-11-21T09:30:00.000Z' },
    });
    expect(readGuardrailEvent(contributorEvent('sets-bounce-critical', 'Prod-marketing'))).toMatchObject({ kind: 'alarm', change: { contributor: { configurationSet: 'Prod-marketing' } } });
    expect(() => readGuardrailEvent({ 'detail-type': 'CloudFormation Stack Status Change', source: 'aws.cloudformation' })).toThrow(/^not a CloudWatch alarm state change event: /);
  });

  it('pauses again a set the guardrail paused that the deploy turned on, alerts it, and leaves the resumed and the never-paused sets sending', async () => {
    const fake = await pausedThenRedeployed(['Prod-marketing']);
    const deploy = readGuardrailEvent(deployEvent());
    if (deploy.kind !== 'deploy') throw new Error('not a deploy');
    expect(await reapplyPauses(deploy.deploy, SETTINGS, fake.ports)).toEqual({ repaused: ['Prod-marketing'], stillPaused: [] });
    expect(fake.calls).toEqual(['Prod-marketing=false']);
    expect(fake.sending).toMatchObject({ 'Prod-marketing': false, 'Prod-newsletter': true, 'Prod-transactional': true });
    expect(fake.alerts.map((a) => a.subject)).toEqual(['SES sending paused again after a deploy: Prod-marketing']);
    expect(fake.alerts[0]?.message).toContain('npx ses-feedback resume Prod-marketing --note');
  });

  it('switches nothing and alerts nothing when the deploy left the pauses alone', async () => {
    const fake = await pausedThenRedeployed([]);
    expect(await reapplyPauses({ stackId: 'Prod', status: 'UPDATE_ROLLBACK_COMPLETE', at: '2026-11-21T09:30:00.000Z' }, SETTINGS, fake.ports)).toEqual({ repaused: [], stillPaused: ['Prod-marketing'] });
    expect([fake.calls, fake.alerts]).toEqual([[], []]);
  });

  it('leaves a set that is no longer pausable (its tag removed) as it is', async () => {
    const fake = await pausedThenRedeployed(['Prod-marketing']);
    const untagged = { ...fake.ports, sending: { ...fake.ports.sending, describe: async (set: string) => ({ ...(await fake.ports.sending.describe(set)), tags: {} }) } };
    expect(await reapplyPauses({ stackId: 'Prod', status: 'UPDATE_COMPLETE', at: '2026-11-21T09:30:00.000Z' }, SETTINGS, untagged)).toEqual({ repaused: [], stillPaused: [] });
    expect(fake.calls).toEqual([]);
  });

  it('fails loudly, for the retry, when a set cannot be paused again; the other sets had their turn', async () => {
    const fake = await pausedThenRedeployed(['Prod-marketing', 'Prod-newsletter']);
    const failing = { ...fake.ports, sending: { ...fake.ports.sending, setSending: async (set: string, enabled: boolean) => {
      if (set === 'Prod-marketing') throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
      await fake.ports.sending.setSending(set, enabled);
    } } };
    await expect(reapplyPauses({ stackId: 'Prod', status: 'UPDATE_COMPLETE', at: '2026-11-21T09:30:00.000Z' }, SETTINGS, failing)).rejects.toThrow(
      /could not re-apply the pauses after a deploy: Prod-marketing \(TooManyRequestsException: Rate exceeded\)/,
    );
    expect(fake.alerts.map((a) => a.subject)).toEqual(['FAILED to keep SES sending paused after a deploy: Prod-marketing']);
    expect(fake.sending['Prod-newsletter']).toBe(true); // resumed by an operator: not touched
  });
});
