import { BerthError, defineError, renderError, type ErrorArgs, type ErrorCatalogue } from '../shared/index.ts';

/** A build's environment, as its errors (and its log) name it. */
interface BuildFacts {
  number: number;
  name: string;
  environmentUuid: string;
  projectUuid: string;
}

function buildLabel({ number, name, environmentUuid, projectUuid }: BuildFacts): string {
  return `build ${number} of environment "${name}" (${environmentUuid}) of project ${projectUuid}`;
}

/** What is wrong with an environment's definition, by where it shows. */
type InvalidEnvironment =
  /** A uuid given to look one up. */
  | { problem: 'uuid'; uuid: string }
  /** properties.json (`file`) is no JSON; `reason`: the parser's. */
  | { problem: 'json'; file: string; reason: string }
  /** properties.json (`file`) names another uuid than its directory. */
  | { problem: 'uuid-mismatch'; file: string; uuid: string; directory: string }
  /** A value in `where` (a file, or "new environment"): `field` ('' for the whole value) breaks `rule`, as its check says it ("must be true or false"). */
  | { problem: 'value'; where: string; field: string; rule: string };

/** The environments layer's codes (BERTH_ENV_*), each declared once with its status, cause, message and hint. */
export const ENVIRONMENT_CODES = {
  BERTH_ENV_NOT_FOUND: defineError({
    status: 404,
    summary: 'the project has no environment with this uuid',
    message: ({ uuid, projectDir, file }: { uuid: string; projectDir: string; file: string }) => `environment ${uuid} does not exist in ${projectDir} (no ${file})`,
    hint: () => "list the project's environments, or create one",
  }),
  BERTH_ENV_EXISTS: defineError({
    status: 409,
    summary: 'an environment with this uuid already exists in the project',
    message: ({ uuid, projectDir }: { uuid: string; projectDir: string }) => `environment ${uuid} already exists in ${projectDir}`,
    hint: () => 'update it instead, or use another uuid',
  }),
  BERTH_ENV_INVALID: defineError({
    status: 422,
    summary: "an environment's uuid, properties.json or setup script is not valid",
    message: (facts: InvalidEnvironment) => {
      switch (facts.problem) {
        case 'uuid': return `"${facts.uuid}" is not an environment uuid`;
        case 'json': return `${facts.file}: not valid JSON (${facts.reason})`;
        case 'uuid-mismatch': return `${facts.file}: uuid is "${facts.uuid}" but the directory is ${facts.directory}`;
        case 'value': return `${facts.where}: ${facts.field ? `${facts.field} ` : ''}${facts.rule}`;
      }
    },
    hint: (facts) => {
      switch (facts.problem) {
        case 'uuid': return 'use the uuid shown by the environment list';
        case 'json': return 'fix the JSON syntax of the file';
        case 'uuid-mismatch': return 'make the uuid in properties.json equal to its directory name';
        case 'value': return 'fix the value and save again';
      }
    },
  }),
  BERTH_ENV_NOT_BUILT: defineError({
    status: 409,
    summary: 'the environment has no successfully built image yet',
    /** `step`: the title of a step that needs the image (a job's), else a service or a caller does. */
    message: ({ projectUuid, environmentUuid, step }: { projectUuid: string; environmentUuid: string; step?: string }) =>
      step === undefined
        ? `environment ${environmentUuid} of project ${projectUuid} has no successfully built image: build it with \`berth env-image build ${projectUuid} ${environmentUuid}\``
        : `step "${step}" cannot run: its environment ${environmentUuid} has no built image`,
    hint: ({ projectUuid, environmentUuid, step }) =>
      step === undefined
        ? `build it first: berth env-image build ${projectUuid} ${environmentUuid}`
        : `build it with \`berth env-image build ${projectUuid} ${environmentUuid}\` and run again`,
  }),
  BERTH_ENV_BUILD_FAILED: defineError({
    status: 422,
    summary: "an environment's image build failed (its setup script or base image; the log tail says why)",
    /** `reason`: the builder's error; `tail`: the last lines of the build log. */
    message: (facts: BuildFacts & { reason: string; tail: string }) => `${buildLabel(facts)} failed: ${facts.reason}\nlast lines of the build log:\n${facts.tail}`,
    hint: () => 'fix the setup script (or the base image) and build again; the previous successful image stays in use',
  }),
  BERTH_ENV_BUILD_CANCELLED: defineError({
    status: 409,
    summary: "an environment's image build was cancelled",
    message: (facts: BuildFacts) => `${buildLabel(facts)} was cancelled`,
  }),
} as const satisfies ErrorCatalogue;

export type EnvironmentCode = keyof typeof ENVIRONMENT_CODES;

/** Errors of environments (definitions in the project, image builds): BERTH_ENV_* codes. */
export class EnvironmentError extends BerthError<EnvironmentCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof ENVIRONMENT_CODES>) {
    super(code, renderError(ENVIRONMENT_CODES[code], params), options);
  }
}
