/**
 * One engine case in a process of its own, for a profiler: builds the evidence once, then runs
 * `diagnose()` N times and prints the CPU per call (process.cpuUsage).
 *
 *   node bench/engine-profile.ts [--hours 24] [--interval 15] [--pods 10] [--reps 20]
 *   valgrind --tool=callgrind node bench/engine-profile.ts --reps 5   # instruction counts
 *   node --cpu-prof --cpu-prof-dir DIR bench/engine-profile.ts         # then bench/profile-summary.ts DIR
 */
import { parseArgs } from 'node:util';
import { diagnose } from '../src/domain/diagnose.ts';
import type { ScrapeInterval } from '../test/scenarios/generator.ts';
import { evidenceFor } from './engine.ts';

const { values } = parseArgs({
  options: {
    hours: { type: 'string', default: '24' },
    interval: { type: 'string', default: '15' },
    pods: { type: 'string', default: '10' },
    reps: { type: 'string', default: '20' },
  },
});
const evidence = await evidenceFor({
  id: 'profile',
  windowHours: Number(values.hours),
  intervalSeconds: Number(values.interval) as ScrapeInterval,
  pods: Number(values.pods),
});
const reps = Number(values.reps);
diagnose(evidence);
const start = process.cpuUsage();
let cause = '';
for (let i = 0; i < reps; i++) cause = diagnose(evidence).cause;
const used = process.cpuUsage(start);
process.stdout.write(
  `${values.hours} h at ${values.interval} s × ${values.pods} pods: ${cause}, ${((used.user + used.system) / 1000 / reps).toFixed(2)} ms CPU per diagnosis over ${reps}\n`,
);
