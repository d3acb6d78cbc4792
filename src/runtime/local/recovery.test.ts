import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeRef } from '../types.ts';
import { eventually, localHarness, servicePlan } from './fixtures.ts';
import { groupMembers, readProcStat } from './procfs.ts';
import { createLocalRuntime, EXITED_WHILE_AWAY } from './runtime.ts';

const node = process.execPath;
const LONG = ['-e', 'setInterval(() => {}, 1000)'];

describe('local runtime: recovery after a restart of Berth', () => {
  test('a new runtime object on the same state dir lists, inspects and stops what an earlier one started', async (t) => {
    const h = localHarness(t);
    const plan = servicePlan({ name: 'keeper', command: [node], args: LONG });
    const ref = await h.runtime.start(plan, { logFile: h.logFile('keeper') });

    const later = createLocalRuntime({ stateDir: h.stateDir, isolation: 'host' });
    const listed = await later.list({ 'berth.session': plan.sessionUuid });
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0]?.ref, ref);
    assert.deepEqual(listed[0]?.labels, plan.labels);
    assert.equal(listed[0]?.state.state, 'running');
    assert.deepEqual(await later.list({ 'berth.session': 'another-session' }), []);
    assert.equal((await later.inspect(ref)).state, 'running');
    await later.stop(ref, { graceMs: 1_000 });
    assert.deepEqual(groupMembers(Number(ref.id)), []);
    assert.deepEqual(await h.runtime.inspect(ref), { state: 'missing' });
  });

  test('after the starting process is gone, a new process finds running services and those that exited meanwhile', async (t) => {
    const h = localHarness(t);
    const release = join(h.dir, 'release');
    const running = servicePlan({ name: 'running', command: [node], args: LONG });
    const leaver = servicePlan({
      name: 'leaver',
      sessionUuid: running.sessionUuid,
      labels: { ...running.labels, 'berth.service': 'leaver' },
      command: [node],
      // Waits for the starting process to be gone, then exits on its own.
      args: ['-e', `setInterval(() => { if (require("fs").existsSync(${JSON.stringify(release)})) process.exit(4) }, 20)`],
    });
    const plansFile = join(h.dir, 'plans.json');
    writeFileSync(plansFile, JSON.stringify([running, leaver]));
    const fixture = new URL('./fixture-start-services.ts', import.meta.url).pathname;
    const repoRoot = new URL('../../..', import.meta.url).pathname; // where `--import tsx` resolves
    const output = execFileSync(node, ['--import', 'tsx', fixture, h.stateDir, join(h.dir, 'logs'), plansFile], { encoding: 'utf8', cwd: repoRoot });
    const [runningRef, leaverRef] = JSON.parse(output) as RuntimeRef[];
    assert.ok(runningRef && leaverRef);

    // The starting process has exited: its services are orphans now (reparented away from it).
    assert.notEqual(readProcStat(Number(runningRef.id))?.ppid, process.pid);
    writeFileSync(release, '');
    await eventually('the leaver to exit', () => groupMembers(Number(leaverRef.id)).length === 0);

    const restarted = createLocalRuntime({ stateDir: h.stateDir, isolation: 'host' });
    const states = Object.fromEntries((await restarted.list({ 'berth.session': running.sessionUuid })).map((o) => [o.ref.service, o.state]));
    assert.equal(states.running?.state, 'running');
    assert.deepEqual(states.leaver, { state: 'exited', exitCode: null, signal: null, reason: EXITED_WHILE_AWAY });

    await restarted.stop(runningRef, { graceMs: 1_000 });
    await restarted.stop(leaverRef, { graceMs: 1_000 });
    assert.deepEqual(groupMembers(Number(runningRef.id)), []);
    assert.deepEqual(await restarted.list({}), []);
    assert.equal(existsSync(join(h.stateDir, 'instances', running.sessionUuid, 'running.json')), false);
  });

  test('a reused pid is not mistaken for the service', async (t) => {
    const h = localHarness(t);
    const plan = servicePlan({ name: 'short', command: [node], args: LONG });
    const ref = await h.runtime.start(plan, { logFile: h.logFile('short') });
    // The test disguises the real process below, so it ends it itself.
    t.after(() => process.kill(-Number(ref.id), 'SIGKILL'));
    const file = join(h.stateDir, 'instances', plan.sessionUuid, 'short.json');
    // Pretend the recorded process started at another time: the live pid is then someone else's.
    const state = JSON.parse(readFileSync(file, 'utf8')) as { procStartTime: number };
    writeFileSync(file, JSON.stringify({ ...state, procStartTime: state.procStartTime - 1 }));
    const later = createLocalRuntime({ stateDir: h.stateDir, isolation: 'host' });
    assert.deepEqual(await later.inspect(ref), { state: 'exited', exitCode: null, signal: null, reason: EXITED_WHILE_AWAY });
    await later.stop(ref, { graceMs: 200 });
    assert.equal(readProcStat(Number(ref.id))?.pgid, Number(ref.id), 'the stranger with that pid was left alone');
  });
});
