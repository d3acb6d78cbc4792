// Report step: reads what Prepare wrote and prints a one-line report.
// Plain Node (ES module, see package.json), no packages.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const file = join('output', 'summary.json');
const summary = JSON.parse(readFileSync(file, 'utf8'));
console.log(`${summary.greeting}: ${summary.count} readings, mean ${summary.mean}, max ${summary.max}`);
