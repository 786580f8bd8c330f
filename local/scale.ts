/**
 * `npm run test:scale [-- N]`: N newly hard-bounced addresses (default 50,000) published at once to
 * the local pipeline running in real time (no time compression: the local SES endpoint allows
 * 1 request/s, the writer's batching window is the stack's 20 s). Passes only if every address ends
 * up on the suppression list and is announced, with at most N/1,000 SES calls, no 429 reaching a
 * handler as an error, and nothing in the dead-letter queue: correctness, which CI gates on.
 *
 * The wall time is printed and written, with the rest, as JSON to `--result FILE` (default
 * `.local/scale/result.json`); its 3-minute target is kept
 * by `npm run bench`, which runs this and guards the figure against regressions. A shared 2-core
 * machine has slow phases, and one must not fail work that lost nothing.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalPipeline } from './pipeline.js';
import { bounce } from './ses-events.js';
import { warmUpDynamoDbLocal } from './warm-up.js';
import { DEFAULT_STACK_CONFIGURATION_SETS } from '../lambdas/shared/contract.js';

/** How long the run waits for every address before it counts what is missing. */
const WAIT_LIMIT_S = 240;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { result: { type: 'string' } }, allowPositionals: true });
  const total = Number(positionals[0] ?? 50_000);
  if (!Number.isInteger(total) || total < 1) throw new Error(`the number of addresses must be a whole number >= 1, got '${positionals[0]}'`);
  const maxCalls = Math.max(1, Math.ceil(total / 1000));
  const messages = Array.from({ length: total }, (_, i) =>
    bounce({
      address: `hard${i}@d${i % 700}.example.org`,
      messageId: `0100019a-scale-${i}`,
      at: new Date(Date.UTC(2026, 10, 22, 9) + i * 10),
      configurationSet: DEFAULT_STACK_CONFIGURATION_SETS.marketing,
      campaign: 'spring-sale',
    }),
  );
  const logDir = join('.local', 'logs', 'scale');
  rmSync(logDir, { recursive: true, force: true });
  const pipeline = await LocalPipeline.start({ timeCompression: 1, logDir });
  try {
    // Before the clock: DynamoDB Local's JIT warm-up, which AWS's DynamoDB does not have (warm-up.ts).
    // The functions' workers start cold after it, as Lambda starts them.
    const warming = Date.now();
    await warmUpDynamoDbLocal(pipeline.dynamodb);
    console.log(`  DynamoDB Local warmed up in ${((Date.now() - warming) / 1000).toFixed(1)} s (not timed)`);
    await pipeline.startWorker();
    const t0 = Date.now();
    let lastPrint = 0;
    const publishing = pipeline.publish(messages);
    let suppressedAt: number | undefined;
    while (Date.now() - t0 < WAIT_LIMIT_S * 1000) {
      await new Promise((r) => setTimeout(r, 500));
      const suppressed = pipeline.ses.list.size;
      if (Date.now() - lastPrint > 10_000) {
        lastPrint = Date.now();
        const feedback = await pipeline.depth();
        const requests = await pipeline.depth(pipeline.resources.suppressionQueueUrl);
        console.log(
          `  ${((Date.now() - t0) / 1000).toFixed(0)} s: ${suppressed}/${total} on the list; SES calls ${pipeline.ses.totalCalls()}; ` +
            `feedback queued ${feedback.visible + feedback.inFlight}, suppression requests queued ${requests.visible + requests.inFlight}`,
        );
      }
      if (suppressed >= total) {
        suppressedAt = Date.now();
        break;
      }
    }
    await publishing;
    // Let the writer settle its last jobs (ledger, follow-ups) before counting everything.
    await pipeline.drain(5 * 60_000);
    const seconds = ((suppressedAt ?? Date.now()) - t0) / 1000;
    const stats = pipeline.ses.getStats();
    const calls = pipeline.ses.totalCalls();
    const dead = await pipeline.deadLetters();
    const expected = new Set(messages.map((_, i) => `hard${i}@d${i % 700}.example.org`));
    const missing = [...expected].filter((a) => !pipeline.ses.list.has(a)).length;
    const surfaced = handlerErrors(logDir);
    const announced = new Set(pipeline.events.bus.events.map((e) => (e.detail as { address: string }).address));
    const unannounced = [...expected].filter((a) => !announced.has(a)).length;
    console.log(
      `scale: ${total} hard-bounced addresses; ${total - missing} on the suppression list in ${seconds.toFixed(1)} s (time target: npm run bench)`,
    );
    console.log(
      `scale: SES calls ${calls} (limit ${maxCalls}): ${JSON.stringify(stats.succeeded)}, 429 answered ${stats.throttled}, 5xx ${stats.failed}; ` +
        `import jobs ${pipeline.ses.importJobs.size}; throttles surfaced as handler errors ${surfaced}; DLQ ${dead.length}; sandboxes ended ${pipeline.restarts}; ` +
        `"Address Suppressed" events for ${announced.size} addresses (${unannounced} missing)`,
    );
    // Correctness only: every address suppressed and announced, the call budget, nothing lost or surfaced.
    const correct = missing === 0 && unannounced === 0 && calls <= maxCalls && dead.length === 0 && surfaced === 0;
    const resultFile = values.result ?? join('.local', 'scale', 'result.json');
    mkdirSync(dirname(resultFile), { recursive: true });
    writeFileSync(resultFile, JSON.stringify({ date: new Date().toISOString(), total, seconds, calls, maxCalls, missing, unannounced, dead: dead.length, surfaced, correct }, null, 2));
    console.log(correct ? 'scale: PASS' : 'scale: FAIL');
    return correct ? 0 : 1;
  } finally {
    await pipeline.stop();
  }
}

/** Warnings and errors the functions logged about SES throttling (a 429 the SDK did not absorb). */
function handlerErrors(logDir: string): number {
  let count = 0;
  for (const fn of ['process-feedback', 'write-suppressions']) {
    let text: string;
    try {
      text = readFileSync(join(logDir, `${fn}.log`), 'utf8');
    } catch {
      continue;
    }
    count += text.split('\n').filter((line) => /TooManyRequests/.test(line) && /"level":"(WARN|ERROR)"/.test(line)).length;
  }
  return count;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`scale: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
