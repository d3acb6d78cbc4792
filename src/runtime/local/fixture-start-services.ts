/**
 * Test fixture, run as its own process: a "Berth" that starts services with the local runtime and
 * then exits, as a crashed Berth would. Prints the refs as JSON on stdout.
 * Usage: node --import tsx fixture-start-services.ts <stateDir> <logDir> <plans.json>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServicePlan } from '../../plan/index.ts';
import { createLocalRuntime } from './runtime.ts';

async function main(): Promise<void> {
  const [stateDir, logDir, plansFile] = process.argv.slice(2);
  if (!stateDir || !logDir || !plansFile) throw new Error('usage: fixture-start-services.ts <stateDir> <logDir> <plans.json>');
  const runtime = createLocalRuntime({ stateDir, isolation: 'host' });
  const plans = JSON.parse(readFileSync(plansFile, 'utf8')) as ServicePlan[];
  const refs = [];
  for (const plan of plans) refs.push(await runtime.start(plan, { logFile: join(logDir, `${plan.name}.log`) }));
  process.stdout.write(`${JSON.stringify(refs)}\n`);
  // Exit without stopping anything: the services must outlive this process.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
