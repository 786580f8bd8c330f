import { LocalPipeline } from '../../local/pipeline.js';
import { bounce, type MailFacts } from '../../local/ses-events.js';

/**
 * The writer never overruns: on the local services with every SES call slowed to 0.8 s, 40
 * addresses that go by single calls take 32 s of calls, more than a local run of the writer has.
 * Each run starts no call it cannot finish and settle, and hands back what it did not reach.
 */
jest.setTimeout(300_000);

const facts = (n: number): MailFacts => ({
  address: `slow${n}@example.org`,
  messageId: `0100019b-slow-${n}`,
  at: new Date(Date.UTC(2026, 11, 1, 10, 0, n)),
  configurationSet: 'marketing',
  campaign: 'winter',
});

it('puts 40 addresses through SES answering each call in 0.8 s: 0 timeouts, 0 dead letters, each address put once', async () => {
  // Above 40: single calls only, the slow path.
  const pipeline = await LocalPipeline.start({ logDir: '.local/logs/deadline', importThreshold: 1_000, ses: { callLatencyMs: 800 } });
  try {
    const addresses = Array.from({ length: 40 }, (_, n) => facts(n));
    await pipeline.publish(addresses.map((f) => bounce(f)));
    await pipeline.startWorker();
    await pipeline.drain(240_000);
    expect([...pipeline.ses.list.keys()].sort()).toEqual(addresses.map((f) => f.address).sort());
    expect([...pipeline.ses.putCalls.values()].every((n) => n === 1)).toBe(true);
    expect(pipeline.ses.putCalls.size).toBe(40);
    expect(pipeline.restarts).toBe(0);
    expect(await pipeline.deadLetters()).toEqual([]);
    // More than one run did it, each handing back the rest.
    expect(pipeline.invocations()['write-suppressions'].invocations).toBeGreaterThanOrEqual(3);
  } finally {
    await pipeline.stop();
  }
});
