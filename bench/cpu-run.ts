/**
 * Entry of the CPU measurement: bench.ts bundles it with esbuild as the functions are bundled
 * (minified) and runs it in a fresh Node process, so the code measured is the code deployed.
 * Arguments: records, rounds. Prints the figures as JSON.
 */
import { measureCpu } from './cpu.js';
import { feedbackRecords } from './workload.js';

const [records = '100000', rounds = '5'] = process.argv.slice(2);
void measureCpu(feedbackRecords(Number(records)), Number(rounds)).then((figures) => process.stdout.write(JSON.stringify(figures)));
