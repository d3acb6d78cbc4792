/** The spec layer's one error class: pipeline files that cannot be read, parsed, validated or written. */
import { BerthError, renderError, type ErrorArgs } from '../shared/index.ts';
import { SPEC_ERROR_CATALOGUE, type SpecCode } from './codes.ts';

/**
 * Codes: SPEC_CODES and THROWN_DIAGNOSTIC_CODES in ./codes.ts, whose words it renders (a thrown
 * diagnostic takes the facts of its diagnostic, a MessageContext); BERTH_SPEC_INVALID has details: Diagnostic[].
 */
export class SpecError extends BerthError<SpecCode> {
  constructor(...[code, params, options]: ErrorArgs<typeof SPEC_ERROR_CATALOGUE>) {
    super(code, renderError(SPEC_ERROR_CATALOGUE[code], params), options);
  }
}
