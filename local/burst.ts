/**
 * `npm run test:burst [-- N]`: N SES events (default 100,000) published at once to the local
 * pipeline; passes only if every one is accounted for: an audit record, or the dead-letter queue.
 * Prints the throughput. Mix: deliveries, soft bounces, hard bounces, complaints, 0.1 % malformed.
 */
import { DEFAULT_STACK_CONFIGURATION_SETS } from '../lambdas/shared/contract.js';
import { countEventItems } from './feedback-table.js';
import { LocalPipeline } from './pipeline.js';
import { bounce, complaint, delivery, type MailFacts } from './ses-events.js';

async function main(): Promise<number> {
  const total = Number(process.argv[2] ?? 100_000);
  const facts = (i: number): MailFacts => ({
    address: `r${i}@d${i % 500}.example.net`,
    messageId: `0100019a-burst-${i}`,
    at: new Date(Date.UTC(2026, 10, 20) + (i % 86_400) * 1000),
    configurationSet: i % 3 === 0 ? DEFAULT_STACK_CONFIGURATION_SETS.transactional : DEFAULT_STACK_CONFIGURATION_SETS.marketing,
  });
  const messages = Array.from({ length: total }, (_, i) => {
    if (i % 1000 === 999) return `malformed message ${i}`;
    if (i % 100 === 0) return bounce(facts(i));
    if (i % 250 === 1) return complaint(facts(i));
    if (i % 10 === 2) return bounce(facts(i), 'Transient', 'MailboxFull');
    return delivery(facts(i));
  });
  const malformed = messages.filter((m) => m.startsWith('malformed')).length;

  const pipeline = await LocalPipeline.start({ timeCompression: 60, logDir: '.local/logs/burst' });
  try {
    await pipeline.startWorker();
    const t0 = Date.now();
    await pipeline.publish(messages);
    const published = (Date.now() - t0) / 1000;
    let last = 0;
    await pipeline.drain(80 * 60_000, (d) => {
      if (Date.now() - last > 30_000) {
        last = Date.now();
        console.log(`  ${total - d.visible - d.inFlight}/${total} processed`);
      }
    });
    const seconds = (Date.now() - t0) / 1000;
    const records = await countEventItems(pipeline.dynamodb, pipeline.resources.tableName);
    const dead = new Set((await pipeline.deadLetters()).map((d) => d.body)).size;
    const accounted = records + dead;
    console.log(`burst: ${total} events published in ${published.toFixed(1)} s, all processed in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)} events/s)`);
    console.log(`burst: ${records} audit records + ${dead} in the DLQ (${malformed} malformed sent) = ${accounted} of ${total}; lost ${total - accounted}; sandboxes ended ${pipeline.restarts}`);
    return accounted === total && dead === malformed ? 0 : 1;
  } finally {
    await pipeline.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`burst: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
