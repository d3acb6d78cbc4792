import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError, InternalError, toBerthError } from '../shared/index.ts';
import { RuntimeError } from '../runtime/index.ts';
import { SessionError } from '../sessions/index.ts';
import { SpecError } from '../spec/index.ts';
import { ProxyError, PROXY_CODES } from '../proxy/index.ts';
import { AuthError } from './auth/errors.ts';
import { ApiError, statusForError } from './errors.ts';
import { SERVER_CATALOGUES, statusOfCode } from './error-catalogue.ts';

/** A code no catalogue declares: only a subclass outside the layers can carry one. */
class StrayError extends BerthError {}

describe('statusForError', () => {
  test('answers the status the catalogue of the code declares', () => {
    assert.equal(statusForError(new ApiError('BERTH_API_BAD_REQUEST', { needs: 'spec' })), 400);
    assert.equal(statusForError(new ApiError('BERTH_API_NO_ENGINE')), 503);
    assert.equal(statusForError(new AuthError('BERTH_AUTH_RATE_LIMITED', { address: '192.0.2.1', seconds: 30 })), 429);
    assert.equal(statusForError(new RuntimeError('BERTH_RUNTIME_PORT_IN_USE', { service: 'web', port: 8080, index: 0, isolationReason: "services listen on the host's real ports" })), 409);
    assert.equal(statusForError(new RuntimeError('BERTH_RUNTIME_ENGINE_UNREACHABLE', { socketPath: '/run/docker.sock', method: 'GET', path: '/_ping', reason: 'connect ENOENT' })), 503);
    assert.equal(statusForError(new SessionError('BERTH_SESSION_NOT_FOUND', { sessionUuid: 'sess1' })), 404);
    assert.equal(statusForError(new SpecError('BERTH_SPEC_CHANGED_ON_DISK', { path: 'p.orchest' })), 409);
    assert.equal(statusForError(new ProxyError(PROXY_CODES.starting, { service: 'web', port: 8080, sessionUuid: 'sess1', retrySeconds: 2 })), 503);
  });

  test('a diagnostic thrown on its own answers as unacceptable content', () => {
    assert.equal(statusForError(new SpecError('BERTH_SPEC_VERSION_UNKNOWN', { path: 'version', value: '9' })), 422);
  });

  test("reads no status from the code's spelling: an undeclared code is a server fault, 500", () => {
    assert.equal(statusForError(new StrayError('BERTH_API_SOMETHING_NOT_FOUND', { message: 'nobody declared this' })), 500);
    assert.equal(statusForError(new StrayError('BERTH_API_BAD_THING', { message: 'nor this' })), 500);
    assert.equal(statusForError(toBerthError(new Error('boom'))), 500);
    assert.ok(toBerthError(new Error('boom')) instanceof InternalError);
  });

  test('matches every catalogue entry, and inherited names of Object are no codes', () => {
    for (const catalogue of Object.values(SERVER_CATALOGUES)) {
      for (const [code, spec] of Object.entries(catalogue)) assert.equal(statusOfCode(code), spec.status, code);
    }
    assert.equal(statusOfCode('toString'), 500);
    assert.equal(statusOfCode('__proto__'), 500);
  });

  test('an auth error answers its catalogue status wherever it is handled', () => {
    const error = new AuthError('BERTH_AUTH_REQUIRED');
    assert.equal(error.status, 401);
    assert.equal(statusForError(error), error.status);
  });
});
