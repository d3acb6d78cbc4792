// The local runtime's launcher (docs/runtimes/local.md, "The launcher"): a small child of Berth's
// server, over a Node IPC channel, that spawns the services' processes. Spawning forks the process
// that spawns: from the server each fork held its event loop 6-8 ms on an idle machine, about 27 ms
// under load (bench/local-spawn; a 1,000-service start spent 27 s of the server's CPU in
// ChildProcess.spawn); from this process, doing nothing else, it blocks nobody's requests.
// Plain JavaScript, no tsx: it starts with the first service.
//
// Messages in:  { type: 'spawn', id, file, args, cwd, env, logFile }  (stdout and stderr append to logFile,
//                 stdin is a pipe the wrapper waits on), { type: 'release', pid } (one line, then EOF: the
//                 service runs), { type: 'abort', pid } (EOF: the wrapper exits without running it).
// Messages out: { type: 'spawned', id, pid } or { type: 'spawned', id, error: { message, code } },
//               { type: 'exit', pid, exitCode, signal, at }.
// Exits when the server goes (the channel closes); services are detached and run on.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

if (typeof process.send !== 'function') {
  process.stderr.write('berth launcher: no IPC channel (it is started by Berth, not by hand)\n');
  process.exit(2);
}

/** Children whose stdin is still open, by pid. */
const waiting = new Map();

function send(message) {
  if (process.connected) process.send(message);
}

function launch({ id, file, args, cwd, env, logFile }) {
  let log;
  try {
    log = openSync(logFile, 'a');
  } catch (error) {
    return send({ type: 'spawned', id, error: { message: error.message, code: error.code } });
  }
  let child;
  try {
    child = spawn(file, args, { cwd, env, detached: true, stdio: ['pipe', log, log] });
  } catch (error) {
    return send({ type: 'spawned', id, error: { message: error.message, code: error.code } });
  } finally {
    closeSync(log);
  }
  child.stdin.on('error', () => undefined); // EPIPE when it died at once: its exit says why
  const pid = child.pid;
  if (pid === undefined) {
    child.once('error', (error) => send({ type: 'spawned', id, error: { message: error.message, code: error.code } }));
    return;
  }
  child.on('error', () => undefined);
  waiting.set(pid, child);
  child.once('exit', (exitCode, signal) => {
    waiting.delete(pid);
    send({ type: 'exit', pid, exitCode, signal, at: new Date().toISOString() });
  });
  send({ type: 'spawned', id, pid });
}

process.on('message', function onMessage(message) {
  if (message?.type === 'spawn') return launch(message);
  const child = waiting.get(message?.pid);
  if (!child) return;
  waiting.delete(message.pid);
  if (message.type === 'release') child.stdin.end('\n');
  else child.stdin.destroy();
});

process.on('disconnect', () => process.exit(0));
