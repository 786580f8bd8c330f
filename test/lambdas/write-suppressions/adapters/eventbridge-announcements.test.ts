import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeSuppressionAnnouncements } from '../../../../lambdas/write-suppressions/adapters/eventbridge-suppression-announcements.js';
import { ADDRESS_SUPPRESSED_EVENT, type AddressSuppressedDetail } from '../../../../lambdas/shared/events.js';
import type { SuppressionEntry } from '../../../../lambdas/shared/suppression.js';
import { LocalEventBus, type LocalEventBusOptions } from '../../../../local/event-bus.js';

/** The adapter through the real EventBridge client, against the local PutEvents endpoint. */
async function announcer(options: LocalEventBusOptions = {}) {
  const bus = new LocalEventBus(options);
  const endpoint = await bus.start();
  const client = new EventBridgeClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return { bus, client, announcements: new EventBridgeSuppressionAnnouncements(client, 'default'), stop: () => (client.destroy(), bus.stop()) };
}

const entries = (n: number): SuppressionEntry[] => Array.from({ length: n }, (_, i) => ({ address: `user${i}@example.net`, reason: i % 5 === 0 ? 'COMPLAINT' : 'BOUNCE' }));
const AT = new Date('2026-11-23T10:00:00.000Z');

describe('EventBridgeSuppressionAnnouncements', () => {
  it('puts one "Address Suppressed" event per address, 10 per call, with only the address, reason, time and how in the detail', async () => {
    const { bus, announcements, stop } = await announcer();
    try {
      await announcements.announce(entries(25), { via: 'import', jobId: 'job-1' }, AT);
      expect(bus.calls).toBe(3);
      expect(bus.events).toHaveLength(25);
      expect(bus.events[0]).toMatchObject({ eventBusName: 'default', source: ADDRESS_SUPPRESSED_EVENT.source, detailType: 'Address Suppressed', time: AT.toISOString() });
      const details = bus.detailsOf<AddressSuppressedDetail>('Address Suppressed');
      expect(details.find((d) => d.address === 'user5@example.net')).toEqual({ address: 'user5@example.net', reason: 'COMPLAINT', suppressedAt: AT.toISOString(), via: 'import' });
      expect(new Set(details.map((d) => d.address)).size).toBe(25);
    } finally {
      await stop();
    }
  });

  it('puts again the entries EventBridge failed, until every one is accepted', async () => {
    const { bus, announcements, stop } = await announcer({ entryFailureRate: 0.3 });
    try {
      await announcements.announce(entries(40), { via: 'put' }, AT);
      expect(new Set(bus.events.map((e) => (e.detail as AddressSuppressedDetail).address)).size).toBe(40);
      expect(bus.events).toHaveLength(40); // no duplicates: only failed entries were sent again
      expect(bus.calls).toBeGreaterThan(4);
    } finally {
      await stop();
    }
  });

  it('throws, one line, when EventBridge keeps failing entries (the writer then retries the message)', async () => {
    const { announcements, stop } = await announcer({ entryFailureRate: 1 });
    try {
      await expect(announcements.announce(entries(3), { via: 'put' }, AT)).rejects.toThrow(
        'EventBridge refused 3 Address Suppressed event(s) 5 times (ThrottlingException); retry later',
      );
    } finally {
      await stop();
    }
  });
});
