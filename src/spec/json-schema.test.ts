/* eslint-disable @typescript-eslint/no-explicit-any -- these tests poke at untyped JSON on purpose */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { pipelineJsonSchema, pipelineJsonSchemaText } from './json-schema.ts';

const checkedIn = fileURLToPath(new URL('../../schema/pipeline.schema.json', import.meta.url));

describe('pipeline JSON Schema', () => {
  test('the checked-in schema/pipeline.schema.json is up to date', async () => {
    const onDisk = await readFile(checkedIn, 'utf8');
    assert.ok(onDisk === pipelineJsonSchemaText(), 'schema/pipeline.schema.json is stale: run `npm run schema` and commit the result');
  });

  test('it carries the rules of the zod schema', () => {
    const schema = pipelineJsonSchema() as any;
    const service = schema.properties.services.additionalProperties;
    assert.deepEqual(service.required.sort(), ['exposed', 'image', 'name', 'order', 'ports', 'scope']);
    assert.deepEqual(service.properties.ports.items, { type: 'integer', minimum: 1, maximum: 65535 });
    assert.equal(service.properties.ports.minItems, 1);
    assert.deepEqual(service.properties.scope.items.enum, ['interactive', 'noninteractive']);
    assert.equal(service.properties.binds.additionalProperties, false);
    assert.deepEqual(Object.keys(service.properties.binds.properties), ['/data', '/project-dir']);
    assert.ok(JSON.stringify(service.properties.name).includes('^[a-z][0-9a-z-]{0,25}$'));
    assert.deepEqual(service.properties.readiness.oneOf.map((v: any) => v.properties.type.const), ['port', 'http', 'log', 'command', 'none']);
  });
});
