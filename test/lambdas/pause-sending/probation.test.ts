import fc from 'fast-check';
import type { PauseRecord } from '../../../lambdas/pause-sending/guardrail.js';
import { checkProbations, judgeProbation, PROBATION_GRACE_MS, PROBATION_PAUSE, type Probation, type SetRates } from '../../../lambdas/pause-sending/probation.js';

const SINCE = '2026-11-21T12:00:00.000Z';
const PROBATION: Probation = {
  configurationSet: 'Prod-marketing',
  since: SINCE,
  until: '2026-12-05T12:00:00.000Z',
  atResume: { bounce: 0.08, complaint: 0.0004 },
};
const CRITICAL = { bounce: 0.05, complaint: 0.001 };
const at = (minutesAfterResume: number): Date => new Date(Date.parse(SINCE) + minutesAfterResume * 60_000);
const point = (value: number, minutesAfterResume: number) => ({ value, at: at(minutesAfterResume).toISOString() });

describe('judging a set on probation by its rates since the resume', () => {
  it('waits while SES has measured nothing since the resume (a datapoint of the paused mail does not count)', () => {
    expect(judgeProbation(PROBATION, CRITICAL, {}, at(30)).kind).toBe('wait');
    expect(judgeProbation(PROBATION, CRITICAL, { bounce: point(0.08, -20) }, at(90)).kind).toBe('wait');
  });

  it('pauses at once when the rate rises above the one it was paused at: the new mail is worse', () => {
    expect(judgeProbation(PROBATION, CRITICAL, { bounce: point(0.085, 15) }, at(15))).toMatchObject({ kind: 'pause', metric: 'bounce', rate: 0.085 });
  });

  it('waits for an hour while the rate is still the paused one (SES\'s rate still carries the old mail), then pauses if it has not fallen', () => {
    expect(judgeProbation(PROBATION, CRITICAL, { bounce: point(0.08, 30) }, at(30)).kind).toBe('wait');
    expect(judgeProbation(PROBATION, CRITICAL, { bounce: point(0.08, 60) }, at(60))).toMatchObject({ kind: 'pause', metric: 'bounce', why: expect.stringContaining('an hour after the resume') });
  });

  it('waits while a rate above its line falls, and ends the probation once every rate is below its critical line', () => {
    expect(judgeProbation(PROBATION, CRITICAL, { bounce: point(0.062, 120), complaint: point(0.0003, 120) }, at(120)).kind).toBe('wait');
    expect(judgeProbation(PROBATION, CRITICAL, { bounce: point(0.049, 240), complaint: point(0.0003, 240) }, at(240))).toMatchObject({ kind: 'end' });
  });

  it('judges complaints as bounces: a complaint rate rising past its line pauses', () => {
    expect(judgeProbation(PROBATION, CRITICAL, { bounce: point(0.01, 20), complaint: point(0.0012, 20) }, at(20))).toMatchObject({ kind: 'pause', metric: 'complaint', rate: 0.0012 });
  });

  it('ends at its end date whatever the rates, unless they rose: the alarms judge the set again', () => {
    expect(judgeProbation(PROBATION, CRITICAL, {}, new Date(PROBATION.until))).toMatchObject({ kind: 'end' });
    expect(judgeProbation(PROBATION, CRITICAL, { bounce: point(0.06, 60 * 24 * 13) }, new Date(PROBATION.until))).toMatchObject({ kind: 'end' });
    expect(judgeProbation(PROBATION, CRITICAL, { bounce: point(0.09, 60 * 24 * 13) }, new Date(PROBATION.until))).toMatchObject({ kind: 'pause' });
  });

  it('for any rates: below every line ends; at or above the paused rate an hour on pauses; never a pause below the critical line', () => {
    const rate = (max: number) => fc.double({ min: 0, max, noNaN: true });
    fc.assert(
      fc.property(rate(0.2), rate(0.005), fc.integer({ min: 1, max: 60 * 24 }), (bounce, complaint, minutes) => {
        const rates: SetRates = { bounce: point(bounce, minutes), complaint: point(complaint, minutes) };
        const verdict = judgeProbation(PROBATION, CRITICAL, rates, at(minutes));
        const below = bounce < CRITICAL.bounce && complaint < CRITICAL.complaint;
        if (below) expect(verdict.kind).toBe('end');
        if (verdict.kind === 'pause') expect(rates[verdict.metric]?.value).toBeGreaterThanOrEqual(CRITICAL[verdict.metric]);
        const notFalling = (bounce >= (PROBATION.atResume.bounce ?? 0) && bounce >= CRITICAL.bounce) || (complaint >= CRITICAL.complaint && complaint >= (PROBATION.atResume.complaint ?? 0));
        if (notFalling && minutes * 60_000 >= PROBATION_GRACE_MS) expect(verdict.kind).toBe('pause');
      }),
    );
  });
});

describe('the look at the sets on probation', () => {
  function fakes(rates: Record<string, SetRates>, roster: Probation[]) {
    const sending: Record<string, boolean> = Object.fromEntries(roster.map((p) => [p.configurationSet, true]));
    const pauses: PauseRecord[] = [];
    const alerts: string[] = [];
    const ended: string[] = [];
    const ports = {
      roster: { list: async () => roster.filter((p) => !ended.includes(p.configurationSet)), start: async () => undefined, end: async (set: string) => void ended.push(set) },
      reputation: { newest: async (set: string) => rates[set] ?? {} },
      sending: { listNames: async () => Object.keys(sending), describe: async (set: string) => ({ sending: sending[set] ?? true, tags: {} }), setSending: async (set: string, on: boolean) => void (sending[set] = on) },
      log: { recordPause: async (p: PauseRecord) => void pauses.push(p), isRecordedPaused: async () => false, isOnProbation: async () => true },
      alerts: { notify: async (subject: string) => void alerts.push(subject) },
      announcements: { announcePause: async () => undefined },
    };
    return { ports, sending, pauses, alerts, ended };
  }

  it('pauses, records and alerts the set whose new mail is as bad, ends the clean one\'s probation, and leaves the one still falling', async () => {
    const roster = ['bad', 'clean', 'falling'].map((name) => ({ ...PROBATION, configurationSet: `Prod-${name}` }));
    const fake = fakes({ 'Prod-bad': { bounce: point(0.081, 70) }, 'Prod-clean': { bounce: point(0.02, 70) }, 'Prod-falling': { bounce: point(0.06, 70) } }, roster);
    expect(await checkProbations(fake.ports, CRITICAL, at(75))).toEqual({ paused: ['Prod-bad'], ended: ['Prod-clean'], waiting: ['Prod-falling'] });
    expect(fake.sending).toEqual({ 'Prod-bad': false, 'Prod-clean': true, 'Prod-falling': true });
    expect(fake.pauses).toEqual([{ configurationSet: 'Prod-bad', alarmName: PROBATION_PAUSE, metric: 'bounce', threshold: 0.05, rate: 0.081, at: at(75).toISOString() }]);
    expect(fake.alerts).toEqual(['SES sending paused again on probation: Prod-bad']);
    expect(fake.ended.sort()).toEqual(['Prod-bad', 'Prod-clean']);
  });

  it('fails loudly after the others had their turn when a set\'s rates cannot be read', async () => {
    const roster = ['a', 'b'].map((name) => ({ ...PROBATION, configurationSet: `Prod-${name}` }));
    const fake = fakes({ 'Prod-b': { bounce: point(0.01, 70) } }, roster);
    const failing = { ...fake.ports, reputation: { newest: async (set: string) => (set === 'Prod-a' ? Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })) : fake.ports.reputation.newest(set)) } };
    await expect(checkProbations(failing, CRITICAL, at(75))).rejects.toThrow('could not judge the sets on probation: Prod-a (Throttling: Rate exceeded)');
    expect(fake.ended).toEqual(['Prod-b']);
    expect(fake.alerts).toEqual(['FAILED to judge SES sets on probation: Prod-a (Throttling: Rate exceeded)']);
  });
});
