/** The published JSON Schema of pipeline files (schema/pipeline.schema.json), generated from the zod schema. */
import { specSchemas } from './schema.ts';

export const PIPELINE_SCHEMA_ID = 'https://berth.dev/schema/pipeline.schema.json';

export function pipelineJsonSchema(): Record<string, unknown> {
  const { z, pipeline } = specSchemas();
  const generated = z.toJSONSchema(pipeline, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return {
    $schema: generated.$schema,
    $id: PIPELINE_SCHEMA_ID,
    title: 'Berth pipeline file (.orchest)',
    description:
      'An Orchest pipeline definition, version 1.2.3, with Berth\'s service extensions readiness and depends_on. Rules that relate fields to each other (service key equals name, unique order, depends_on targets, readiness ports) are checked by `berth validate`, not by this schema.',
    ...Object.fromEntries(Object.entries(generated).filter(([key]) => key !== '$schema')),
  };
}

/** The schema as checked in: 2-space JSON with a final newline. */
export function pipelineJsonSchemaText(): string {
  return `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`;
}
