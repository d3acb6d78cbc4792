/** `berth schema [--write]`: the JSON Schema of pipeline files, printed or written to schema/pipeline.schema.json. */
import type { Command } from 'commander';
import { rename, writeFile } from 'node:fs/promises';
import { installPath } from '../../shared/index.ts';
import { pipelineJsonSchemaText } from '../../spec/index.ts';

/** The checked-in copy, relative to this file so it works from any working directory. */
export const SCHEMA_FILE = installPath('schema', 'pipeline.schema.json');

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of pipeline files (for editors and other tools)')
    .option('--write', `write it to ${'schema/pipeline.schema.json'} instead of printing it`)
    .action(async function printSchema(options: { write?: boolean }) {
      const text = pipelineJsonSchemaText();
      if (!options.write) {
        process.stdout.write(text);
        return;
      }
      const temp = `${SCHEMA_FILE}.${process.pid}.tmp`;
      await writeFile(temp, text, 'utf8');
      await rename(temp, SCHEMA_FILE);
      process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
    });
}
