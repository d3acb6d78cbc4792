/** @module spec: pipeline files: load, migrate, validate, serialise, templates, JSON Schema. */
export * from './types.ts';
export { SpecError } from './errors.ts';
export { SPEC_CODES, THROWN_DIAGNOSTIC_CODES, diagnosticCatalogue, type SpecCode } from './codes.ts';
export { parsePipeline, loadPipelineFile, positionOf, type ParseText } from './parse.ts';
export { PipelineReader, pipelineReader } from './reader.ts';
export { migratePipeline, guessPort, sanitizeEnvVarName, KNOWN_PIPELINE_VERSIONS, PORT_GUESSES, type MigrationResult } from './migrate.ts';
export { validatePipeline, hasErrors, type ValidateOptions } from './validate.ts';
export { serializePipeline, writePipelineFile, detectStyle, type WriteOptions, type TextStyle } from './serialize.ts';
export { pipelineJsonSchema, pipelineJsonSchemaText, PIPELINE_SCHEMA_ID } from './json-schema.ts';
export {
  SERVICE_TEMPLATES,
  getServiceTemplate,
  serviceFromTemplate,
  type ServiceTemplate,
  type ServiceTemplateId,
} from './templates.ts';
export { findPipelineFiles } from './find.ts';
export {
  normaliseBindTarget,
  MAX_PIPELINE_FILE_BYTES,
  MAX_NESTING_DEPTH,
  MAX_SERVICES,
  MAX_ARGS_BYTES,
  MAX_ENV_ENTRY_BYTES,
  MAX_ENV_TOTAL_BYTES,
  SHELL_STARTUP_ENV_NAMES,
} from './limits.ts';
export { unifiedDiff } from './diff.ts';
export { formatPath } from './path.ts';
export {
  specSchemas,
  provideZod,
  type SpecSchemas,
  SERVICE_NAME_PATTERN,
  ENV_VAR_NAME_PATTERN,
  KUBERNETES_ENV_VAR_NAME_PATTERN,
  ENVIRONMENT_PREFIX,
  ENVIRONMENT_IMAGE_PATTERN,
  RESERVED_SERVICE_NAMES,
} from './schema.ts';
