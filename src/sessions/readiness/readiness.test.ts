import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { commandRequirement, skipUnless } from '../../../test/support/requirements.ts';
import { freePort } from '../../../test/support/ports.ts';
import { ReadinessError } from './errors.ts';
import { servicePlan, startService } from './fixtures.ts';
import { waitForReadiness } from './wait.ts';

const node = process.execPath;
const python = commandRequirement('python3', 'install Python 3');
const redis = commandRequirement('redis-server', 'apt-get install redis-server');
const redisCli = commandRequirement('redis-cli', 'apt-get install redis-tools');
const TIMEOUT = 15_000;

function readinessError(code: string, check: (error: ReadinessError) => void): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ReadinessError, `expected a ReadinessError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check(error);
    return true;
  };
}

function logLinesOf(error: ReadinessError): string[] {
  return (error.details as { lastLogLines: string[] }).lastLogLines;
}

describe('readiness: python3 -m http.server', skipUnless(python), () => {
  test('becomes ready by port and by http', async (t) => {
    const port = await freePort();
    const plan = servicePlan('web', { type: 'port', ports: [port], timeoutMs: TIMEOUT, intervalMs: 50 }, {
      command: ['python3'],
      args: ['-m', 'http.server', String(port), '--bind', '127.0.0.1'],
      ports: [port],
    });
    const { probe } = await startService(t, plan);
    const byPort = await waitForReadiness(plan, probe);
    assert.ok(byPort.attempts >= 1);
    const byHttp = await waitForReadiness({ ...plan, readiness: { type: 'http', port, path: '/', status: [200], timeoutMs: TIMEOUT, intervalMs: 50 } }, probe);
    assert.ok(byHttp.readyAt >= byPort.readyAt);
  });

  test('http: a status outside the accepted list is not ready, and the timeout says what it saw', async (t) => {
    const port = await freePort();
    const plan = servicePlan('web', { type: 'port', ports: [port], timeoutMs: TIMEOUT, intervalMs: 50 }, {
      command: ['python3'],
      args: ['-m', 'http.server', String(port), '--bind', '127.0.0.1'],
      ports: [port],
    });
    const { probe } = await startService(t, plan);
    await waitForReadiness(plan, probe);
    const missing = { ...plan, readiness: { type: 'http' as const, port, path: '/missing', status: [200], timeoutMs: 500, intervalMs: 50 } };
    await assert.rejects(waitForReadiness(missing, probe), readinessError('BERTH_READINESS_TIMEOUT', (error) => {
      assert.match(error.message, /^service web was not ready after 0\.5 s: waiting for HTTP GET \/missing on port \d+ answering 200; last attempt: GET \/missing answered 404 \(waiting for 200\) \(\d+ attempts\)$/);
    }));
  });
});

describe('readiness: none', () => {
  test('a running service is ready at the first attempt', async (t) => {
    const plan = servicePlan('plain', { type: 'none', timeoutMs: TIMEOUT, intervalMs: 50 }, { command: [node], args: ['-e', 'setInterval(() => {}, 1000)'] });
    const { probe } = await startService(t, plan);
    assert.equal((await waitForReadiness(plan, probe)).attempts, 1);
  });
});

describe('readiness: log', () => {
  test('a line written after this start marker makes the service ready', async (t) => {
    const plan = servicePlan('printer', { type: 'log', pattern: 'listening on \\d+', timeoutMs: TIMEOUT, intervalMs: 50 }, {
      command: [node],
      args: ['-e', 'setTimeout(() => console.log("listening on 8000"), 200); setInterval(() => {}, 1000)'],
    });
    const { probe } = await startService(t, plan);
    const result = await waitForReadiness(plan, probe);
    assert.ok(result.attempts >= 1);
  });

  test('a matching line of an earlier run does not count', async (t) => {
    const plan = servicePlan('printer', { type: 'log', pattern: 'listening on \\d+', timeoutMs: 600, intervalMs: 50 }, {
      command: [node],
      args: ['-e', 'console.log("starting"); setInterval(() => {}, 1000)'],
    });
    const started = await startService(t, plan);
    while (!readFileSync(started.logFile, 'utf8').includes('starting\n')) await new Promise((resolve) => setTimeout(resolve, 20));
    // An old run's output sitting before this start's marker in the same (kept) log.
    const current = readFileSync(started.logFile, 'utf8');
    writeFileSync(started.logFile, '--- berth: printer started at 2020-01-01T00:00:00.000Z (pid 1) ---\nlistening on 8000\n');
    appendFileSync(started.logFile, current);
    await assert.rejects(waitForReadiness(plan, started.probe), readinessError('BERTH_READINESS_TIMEOUT', (error) => {
      assert.match(error.message, /waiting for a log line matching \/listening on \\d\+\/; last attempt: none of the \d lines logged since the start matched/);
      assert.deepEqual(logLinesOf(error), ['starting']);
    }));
  });
});

describe('readiness: failures', () => {
  test('a service that exits at once fails with its exit code and last log lines', async (t) => {
    const plan = servicePlan('crasher', { type: 'port', ports: [await freePort()], timeoutMs: TIMEOUT, intervalMs: 50 }, {
      command: [node],
      args: ['-e', 'console.log("loading config"); console.error("fatal: no config file"); process.exit(3)'],
    });
    const { probe } = await startService(t, plan);
    await assert.rejects(waitForReadiness(plan, probe), readinessError('BERTH_READINESS_EXITED', (error) => {
      assert.match(error.message, /^service crasher exited before it was ready \(exit code 3\) while waiting for TCP port \d+ accepting connections$/);
      assert.deepEqual(logLinesOf(error), ['loading config', 'fatal: no config file']);
    }));
  });

  test('a service that never opens its port times out with what the last attempt saw', async (t) => {
    const port = await freePort();
    const plan = servicePlan('silent', { type: 'port', ports: [port], timeoutMs: 500, intervalMs: 50 }, {
      command: [node],
      args: ['-e', 'console.log("thinking"); setInterval(() => {}, 1000)'],
      ports: [port],
    });
    const { probe } = await startService(t, plan);
    await assert.rejects(waitForReadiness(plan, probe), readinessError('BERTH_READINESS_TIMEOUT', (error) => {
      assert.match(error.message, new RegExp(`^service silent was not ready after 0\\.5 s: waiting for TCP port ${port} accepting connections; last attempt: port ${port} not accepting connections \\((?:127\\.0\\.0\\.1:${port}:|port ${port} inside the session: refused) ECONNREFUSED\\) \\(\\d+ attempts?\\)$`));
      assert.match(error.hint ?? '', /raise services\.silent\.readiness\.timeout_seconds/);
      assert.deepEqual(logLinesOf(error), ['thinking']);
    }));
  });

  test('an abort ends the wait at once', async (t) => {
    const controller = new AbortController();
    const plan = servicePlan('slow', { type: 'port', ports: [await freePort()], timeoutMs: 60_000, intervalMs: 50 }, {
      command: [node],
      args: ['-e', 'setInterval(() => {}, 1000)'],
    });
    const { probe } = await startService(t, plan, controller.signal);
    const waiting = waitForReadiness(plan, probe);
    setTimeout(() => controller.abort(new Error('session stopped')), 100);
    await assert.rejects(waiting, readinessError('BERTH_READINESS_ABORTED', (error) => {
      assert.equal(error.message, 'service slow: waiting for readiness was aborted');
    }));
  });

  test('a fatal waiting state from the runtime fails the wait', async () => {
    const plan = servicePlan('image', { type: 'none', timeoutMs: 5_000, intervalMs: 50 });
    const probe = {
      endpoint: async (port: number) => ({ host: '127.0.0.1', port }),
      logFile: '/nonexistent/berth.log',
      exec: async () => ({ exitCode: 0, output: '' }),
      state: async () => ({ state: 'waiting' as const, reason: 'image acme/nope:1 not found and not pullable', fatal: true }),
    };
    await assert.rejects(waitForReadiness(plan, probe), readinessError('BERTH_READINESS_FAILED', (error) => {
      assert.equal(error.message, 'service image cannot start: image acme/nope:1 not found and not pullable');
      assert.deepEqual(logLinesOf(error), []);
    }));
  });

  test('a runtime that cannot answer is retried until the deadline, and the timeout says so', async () => {
    const plan = servicePlan('flaky', { type: 'none', timeoutMs: 200, intervalMs: 20 });
    const probe = {
      endpoint: async (port: number) => ({ host: '127.0.0.1', port }),
      logFile: '/nonexistent/berth.log',
      exec: async () => ({ exitCode: 0, output: '' }),
      state: async (): Promise<never> => {
        throw new Error('connect ENOENT /var/run/docker.sock');
      },
    };
    await assert.rejects(waitForReadiness(plan, probe), readinessError('BERTH_READINESS_TIMEOUT', (error) => {
      assert.match(error.message, /^service flaky was not ready after 0\.2 s: waiting for no check \(ready once running\); last attempt: the runtime could not say whether it runs: connect ENOENT \/var\/run\/docker\.sock \(0 attempts\)$/);
    }));
  });

  test('an invalid log pattern is reported with its field', async () => {
    const plan = servicePlan('bad', { type: 'log', pattern: '([', timeoutMs: 1_000, intervalMs: 50 });
    const probe = {
      endpoint: async (port: number) => ({ host: '127.0.0.1', port }),
      logFile: '/nonexistent/berth.log',
      exec: async () => ({ exitCode: 0, output: '' }),
      state: async () => ({ state: 'running' as const }),
    };
    await assert.rejects(waitForReadiness(plan, probe), readinessError('BERTH_READINESS_INVALID', (error) => {
      assert.equal(error.message, 'services.bad.readiness.pattern "([" is not a valid regular expression');
    }));
  });
});

describe('readiness: redis', skipUnless(redis, redisCli), () => {
  test('image "redis" (host default) becomes ready by port, then by command with redis-cli ping', async (t) => {
    const port = await freePort();
    const plan = servicePlan('redis', { type: 'port', ports: [port], timeoutMs: TIMEOUT, intervalMs: 50 }, { image: 'redis', ports: [port] });
    const { probe } = await startService(t, plan);
    await waitForReadiness(plan, probe);
    const byCommand = { ...plan, readiness: { type: 'command' as const, command: ['redis-cli', '-p', String(port), 'ping'], timeoutMs: TIMEOUT, intervalMs: 50 } };
    const result = await waitForReadiness(byCommand, probe);
    assert.equal(result.attempts, 1);
  });

  test('command readiness whose program is missing fails at once', async (t) => {
    const port = await freePort();
    const plan = servicePlan('redis', { type: 'command', command: ['redis-cli-berth-missing', 'ping'], timeoutMs: TIMEOUT, intervalMs: 50 }, { image: 'redis', ports: [port] });
    const { probe } = await startService(t, plan);
    await assert.rejects(waitForReadiness(plan, probe), readinessError('BERTH_READINESS_FAILED', (error) => {
      assert.match(error.message, /^service redis: the readiness check \(command "redis-cli-berth-missing ping" exiting 0\) cannot run: service redis: cannot run "redis-cli-berth-missing" next to the service: executable not found on the host$/);
    }));
  });
});

test('accepted HTTP statuses read as ranges in messages', async () => {
  const { describeStatuses } = await import('./http.ts');
  assert.equal(describeStatuses(Array.from({ length: 200 }, (_, i) => 200 + i)), '200-399');
  assert.equal(describeStatuses([204, 200]), '200 or 204');
  assert.equal(describeStatuses([200, 201, 202, 404]), '200-202 or 404');
});
