/**
 * Every code an error reaching the server can carry, merged from the catalogue of each layer, so the
 * HTTP status of an error is a lookup of its code. Each catalogue declares its own codes once
 * (`<layer>/codes.ts` or beside its error class); the CLI's and the clients' codes never reach the
 * server and stay out of this lookup.
 */
import { SHARED_CODES, type ErrorCatalogue, type ErrorSpec } from '../shared/index.ts';
import { SPEC_CODES, diagnosticCatalogue } from '../spec/index.ts';
import { PLAN_CODES } from '../plan/index.ts';
import { RUNTIME_CODES } from '../runtime/index.ts';
import { STORE_CODES } from '../store/index.ts';
import { SESSION_CODES } from '../sessions/index.ts';
import { JOB_CODES } from '../jobs/index.ts';
import { ENVIRONMENT_CODES } from '../environments/index.ts';
import { PROXY_CATALOGUE } from '../proxy/index.ts';
import { AUTH_CODES } from './auth/errors.ts';
import { API_CODES } from './codes.ts';

/** The server's catalogues by layer (the error-catalogue test checks them against the code). */
export const SERVER_CATALOGUES: Readonly<Record<string, ErrorCatalogue>> = {
  shared: SHARED_CODES,
  spec: SPEC_CODES,
  diagnostics: diagnosticCatalogue(),
  plan: PLAN_CODES,
  runtime: RUNTIME_CODES,
  store: STORE_CODES,
  sessions: SESSION_CODES,
  jobs: JOB_CODES,
  environments: ENVIRONMENT_CODES,
  proxy: PROXY_CATALOGUE,
  auth: AUTH_CODES,
  api: API_CODES,
};

const CATALOGUE: ErrorCatalogue = Object.assign({}, ...Object.values(SERVER_CATALOGUES)) as ErrorCatalogue;

/** The catalogue entry of a code, or undefined for a code no layer declared. */
export function errorSpec(code: string): ErrorSpec | undefined {
  return Object.hasOwn(CATALOGUE, code) ? CATALOGUE[code] : undefined;
}

/** The HTTP status of a code: its catalogue's, and 500 for a code nobody declared (a bug the catalogue test catches). */
export function statusOfCode(code: string): number {
  return errorSpec(code)?.status ?? 500;
}
