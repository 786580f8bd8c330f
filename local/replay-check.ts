/**
 * `npm run test:replay`: the same answer in any order, end to end. Replays the seven-week history
 * of local/history-scenario.ts (about 3,600 messages, every envelope, duplicates, shuffled) through
 * the local pipeline at `npm start`'s clock (x60), `--runs N` times (default 2), and checks that
 * every run ends with exactly the list the contract gives in time order and no dead letter. It
 * reports the sandboxes that ended (function timeouts or crashes), which should be 0; a slow
 * phase of a shared machine may end one, and the retry must still give the same list.
 * `--write FILE` writes the replay as JSON lines instead, for `npm start -- --events FILE`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { historyScenario } from './history-scenario.js';
import { LocalPipeline } from './pipeline.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, write: { type: 'string' } } });
  const scenario = historyScenario();
  if (values.write) {
    writeFileSync(values.write, `${scenario.messages.join('\n')}\n`);
    console.log(`replay: wrote ${scenario.messages.length} lines (${scenario.name}) to ${values.write}; ${scenario.expected.size} addresses must end suppressed`);
    return 0;
  }
  const runs = Number(values.runs ?? 2);
  let failed = false;
  for (let run = 1; run <= runs; run++) {
    const pipeline = await LocalPipeline.start({ timeCompression: 60, logDir: join('.local', 'logs', 'replay', `run-${run}`) });
    try {
      const started = Date.now();
      await pipeline.startWorker();
      await pipeline.publish(scenario.messages);
      await pipeline.drain(15 * 60_000);
      const listed = new Map([...pipeline.ses.list.values()].map((entry) => [entry.emailAddress, entry.reason]));
      const missing = [...scenario.expected].filter(([address, reason]) => listed.get(address) !== reason);
      const extra = [...listed.keys()].filter((address) => !scenario.expected.has(address));
      const dead = (await pipeline.deadLetters()).length;
      const ok = missing.length === 0 && extra.length === 0 && dead === 0;
      failed ||= !ok;
      console.log(
        `replay run ${run}: ${scenario.messages.length} messages in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
          `${listed.size} suppressed, ${scenario.expected.size} expected: ${missing.length} missing or with another reason, ${extra.length} not expected; ` +
          `DLQ ${dead}; sandboxes ended ${pipeline.restarts}${ok ? '' : ' FAILED'}`,
      );
      // Synthetic addresses of the generated history: naming them is what makes a failure useful.
      for (const [address, reason] of missing.slice(0, 10)) console.log(`  missing: ${address} (${reason}), listed as ${listed.get(address) ?? 'nothing'}`);
      for (const address of extra.slice(0, 10)) console.log(`  not expected: ${address} (${listed.get(address)})`);
    } finally {
      await pipeline.stop();
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`test:replay: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
