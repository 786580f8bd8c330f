import { type AccountReading, type AccountSnapshot, assessAccount, ReputationWatcher } from '../../../lambdas/watch-reputation/reputation-watcher.js';

const reading = (enforcementStatus: string, sendingEnabled = true, bounceRate: number | null = 0.012): AccountReading => ({
  enforcementStatus,
  sendingEnabled,
  productionAccess: true,
  bounceRate,
  complaintRate: 0.0004,
});
const at = (minute: number): string => new Date(Date.UTC(2026, 10, 23, 10, minute)).toISOString();
const snapshot = (minute: number, ...args: Parameters<typeof reading>): AccountSnapshot => ({ at: at(minute), ...reading(...args) });

describe('assessAccount', () => {
  it.each([
    ['first look, healthy', undefined, snapshot(0, 'HEALTHY'), true, false],
    ['first look, under review', undefined, snapshot(0, 'PROBATION'), false, true],
    ['no change', snapshot(0, 'HEALTHY'), snapshot(15, 'HEALTHY'), true, false],
    ['rates change, status does not', snapshot(0, 'HEALTHY', true, 0.01), snapshot(15, 'HEALTHY', true, 0.04), true, false],
    ['HEALTHY -> PROBATION', snapshot(0, 'HEALTHY'), snapshot(15, 'PROBATION'), false, true],
    ['PROBATION -> SHUTDOWN', snapshot(0, 'PROBATION'), snapshot(15, 'SHUTDOWN'), false, true],
    ['sending disabled, status HEALTHY', snapshot(0, 'HEALTHY'), snapshot(15, 'HEALTHY', false), false, true],
    ['back to HEALTHY', snapshot(0, 'PROBATION'), snapshot(15, 'HEALTHY'), true, true],
    ['still PROBATION', snapshot(0, 'PROBATION'), snapshot(15, 'PROBATION'), false, false],
  ] as const)('%s', (_, previous, current, healthy, alerts) => {
    const assessment = assessAccount(previous, current);
    expect(assessment.healthy).toBe(healthy);
    expect(assessment.alert !== null).toBe(alerts);
    expect(assessment.changed).toBe(alerts);
  });

  it('says what changed, what it means and what to do, with the rates, in a subject SNS accepts', () => {
    const { alert } = assessAccount(snapshot(0, 'HEALTHY'), snapshot(15, 'PROBATION', true, 0.0612));
    expect(alert?.subject).toBe('SES account PROBATION: act now');
    expect(alert?.message).toMatch(/^Enforcement status: HEALTHY -> PROBATION at 2026-11-23T10:15:00.000Z \(the account is under review/);
    expect(alert?.message).toContain('Bounce rate 6.12 %, complaint rate 0.040 %');
    expect(alert?.message).toContain('ses-feedback report --since');
    expect(assessAccount(snapshot(0, 'PROBATION'), snapshot(15, 'HEALTHY')).alert?.subject).toBe('SES account back to HEALTHY');
    expect(assessAccount(undefined, snapshot(0, 'SOMETHING_NEW')).alert?.message).toContain('a status this watcher does not know yet');
  });
});

describe('ReputationWatcher', () => {
  function watcher(readings: AccountReading[]) {
    const kept: AccountSnapshot[] = [];
    const alerts: string[] = [];
    let failAlerts = 0;
    const w = new ReputationWatcher({
      account: { read: async () => readings.shift() ?? reading('HEALTHY') },
      snapshots: { latest: async () => kept[kept.length - 1], put: async (s) => void kept.push(s) },
      alerts: {
        notify: async (subject) => {
          if (failAlerts-- > 0) throw new Error('SNS unavailable');
          alerts.push(subject);
        },
      },
    });
    return { w, kept, alerts, failNextAlert: () => (failAlerts = 1) };
  }

  it('keeps a snapshot of every look and alerts once per change', async () => {
    const { w, kept, alerts } = watcher([reading('HEALTHY'), reading('PROBATION'), reading('PROBATION'), reading('HEALTHY')]);
    for (const minute of [0, 15, 30, 45]) await w.watch(new Date(at(minute)));
    expect(kept.map((s) => `${s.at.slice(11, 16)} ${s.enforcementStatus}`)).toEqual(['10:00 HEALTHY', '10:15 PROBATION', '10:30 PROBATION', '10:45 HEALTHY']);
    expect(alerts).toEqual(['SES account PROBATION: act now', 'SES account back to HEALTHY']);
  });

  it('keeps no snapshot when the alert fails, so the next look alerts again', async () => {
    const { w, kept, alerts, failNextAlert } = watcher([reading('HEALTHY'), reading('SHUTDOWN', false), reading('SHUTDOWN', false)]);
    await w.watch(new Date(at(0)));
    failNextAlert();
    await expect(w.watch(new Date(at(15)))).rejects.toThrow('SNS unavailable');
    expect(kept).toHaveLength(1);
    await w.watch(new Date(at(30)));
    expect(alerts).toEqual(['SES account SHUTDOWN (sending disabled): act now']);
    expect(kept.map((s) => s.enforcementStatus)).toEqual(['HEALTHY', 'SHUTDOWN']);
  });
});
