/**
 * bench/proxy: Berth's service proxy next to nginx, a bare http-proxy-3 and configurable-http-proxy,
 * all forwarding to the same nginx upstream in the same run, so the figures that matter are the
 * ratios to nginx. `node-floor` is a bare Node server answering by itself on the proxies' core:
 * the ceiling any Node proxy can reach. Each proxy is pinned to core 1 and the load generators (wrk, curl, the WS
 * client) to core 0.
 *
 *   npm run bench:proxy                       # everything, ~3 minutes
 *   npm run bench:proxy -- --only berth,nginx --seconds 3
 *   npm run bench:proxy -- --berth-entry script   # the same proxy code without the full CLI
 *   npm run bench:proxy -- --only berth,isolated  # host ports vs an isolated local session (docs/proxy.md)
 *   npm run bench:proxy -- --only berth,isolated,isolated-forwarder  # and the forwarder the dialer replaced
 *
 * Writes bench/results/proxy-<date>.json.
 */
import { mkdir, mkdtemp, rm, truncate, writeFile, chmod } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds, download, processTree, wrk, wsRoundTrips, type WrkResult } from './measure.ts';
import { startBerthIsolated } from './isolated.ts';
import { ROOT, startBerth, startNodeFloor, startChp, startHttpProxy3, startNginxProxy, startProcess, startUpstream, stopChild, freePort, type Started } from './peers.ts';

const GIB = 1024 ** 3;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    only: { type: 'string', default: 'direct,node-floor,nginx,http-proxy-3,configurable-http-proxy,berth,isolated' },
    'berth-entry': { type: 'string', default: 'cli' },
    'ws-messages': { type: 'string', default: '3000' },
    out: { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const only = new Set(args.only.split(','));

interface Row {
  name: string;
  small: WrkResult;
  large: WrkResult;
  single: WrkResult;
  cpuUsPerRequest?: number;
  downloadSeconds: number;
  rssGrowthMb?: number;
  wsP50Us: number;
  wsP99Us: number;
}

async function measure(target: Started): Promise<Row> {
  process.stderr.write(`measuring ${target.name}…\n`);
  const pids = target.pid === undefined ? [] : [...(await processTree(target.pid)), ...(target.extraPids ?? [])];
  await wrk(`${target.httpBase}/small.txt`, 50, 1); // warm-up (JIT, pools)
  const cpuBefore = await cpuSeconds(pids);
  const small = await wrk(`${target.httpBase}/small.txt`, 50, seconds);
  const cpuAfter = await cpuSeconds(pids);
  const large = await wrk(`${target.httpBase}/64k.bin`, 50, seconds);
  const single = await wrk(`${target.httpBase}/small.txt`, 1, Math.max(2, Math.round(seconds / 2)));
  // The Node floor serves bodies itself: no 1 GiB file, no WebSocket.
  const gib = target.name === 'node-floor' ? { seconds: NaN, rssGrowthMb: NaN } : await download(`${target.httpBase}/1g.bin`, pids, GIB);
  const ws = target.name === 'node-floor' ? { p50Us: NaN, p99Us: NaN } : await wsRoundTrips(target.wsUrl, Number(args['ws-messages']));
  return {
    name: target.name,
    small,
    large,
    single,
    ...(pids.length ? { cpuUsPerRequest: ((cpuAfter - cpuBefore) * 1e6) / small.requests, rssGrowthMb: gib.rssGrowthMb } : {}),
    downloadSeconds: gib.seconds,
    wsP50Us: ws.p50Us,
    wsP99Us: ws.p99Us,
  };
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

function printTable(rows: Row[]): void {
  const header = ['proxy', 'small req/s', 'p50 ms', 'p99 ms', '64k req/s', '64k p99', 'c1 p50', 'cpu µs/req', '1GiB s', 'RSS Δ MB', 'WS p50 µs', 'WS p99 µs', 'errors'];
  const lines = rows.map((r) => [
    r.name,
    fmt(r.small.rps, 0),
    fmt(r.small.p50Ms),
    fmt(r.small.p99Ms),
    fmt(r.large.rps, 0),
    fmt(r.large.p99Ms),
    fmt(r.single.p50Ms, 3),
    fmt(r.cpuUsPerRequest, 1),
    fmt(r.downloadSeconds),
    fmt(r.rssGrowthMb, 1),
    fmt(r.wsP50Us, 0),
    fmt(r.wsP99Us, 0),
    String(r.small.errors + r.large.errors + r.single.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(row(header));
  for (const l of lines) console.log(row(l));
}

function ratios(rows: Row[]): Record<string, Record<string, number>> {
  const nginx = rows.find((r) => r.name === 'nginx');
  if (!nginx) return {};
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) {
    if (r.name === 'nginx') continue;
    out[r.name] = {
      smallRps: r.small.rps / nginx.small.rps,
      smallP99: r.small.p99Ms / nginx.small.p99Ms,
      largeRps: r.large.rps / nginx.large.rps,
      singleP50: r.single.p50Ms / nginx.single.p50Ms,
      downloadTime: r.downloadSeconds / nginx.downloadSeconds,
      wsP99: r.wsP99Us / nginx.wsP99Us,
    };
  }
  return out;
}

/** Each isolated row over the `berth` row of the same run: what a session's own network costs. */
function isolatedToHostPorts(rows: Row[]): Record<string, Record<string, number>> | undefined {
  const host = rows.find((r) => r.name === 'berth');
  const isolated = rows.filter((r) => r.name.startsWith('isolated'));
  if (!host || isolated.length === 0) return undefined;
  return Object.fromEntries(
    isolated.map((row) => [
      row.name,
      {
        smallRps: row.small.rps / host.small.rps,
        largeRps: row.large.rps / host.large.rps,
        singleP50: row.single.p50Ms / host.single.p50Ms,
        downloadTime: row.downloadSeconds / host.downloadSeconds,
        wsP99: row.wsP99Us / host.wsP99Us,
      },
    ]),
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-proxy-'));
  const files = join(dir, 'www');
  await mkdir(files);
  // nginx workers may run as another user: everything they read must be world-readable.
  await chmod(dir, 0o755);
  await writeFile(join(files, 'small.txt'), `${'berth proxy bench '.repeat(5)}1234567890\n`.slice(0, 100));
  await writeFile(join(files, '64k.bin'), Buffer.alloc(64 * 1024, 120));
  await writeFile(join(files, '1g.bin'), '');
  await truncate(join(files, '1g.bin'), GIB); // sparse: no disk used, reads as zeros
  const stops: (() => Promise<void>)[] = [];
  const rows: Row[] = [];
  const load = loadavg();
  try {
    const upstream = await startUpstream(dir, files);
    stops.push(() => stopChild(upstream.child));
    const wsPort = await freePort();
    const echo = await startProcess([process.execPath, join(ROOT, 'bench/proxy/ws-echo.mjs'), String(wsPort)], { ready: /listening/ });
    stops.push(() => stopChild(echo));

    const targets: (() => Promise<Started>)[] = [];
    if (only.has('direct')) {
      targets.push(async () => ({ name: 'direct', httpBase: `http://127.0.0.1:${upstream.port}`, wsUrl: `ws://127.0.0.1:${wsPort}/`, stop: async () => {} }));
    }
    if (only.has('node-floor')) targets.push(() => startNodeFloor());
    if (only.has('nginx')) targets.push(() => startNginxProxy(dir, upstream.port, wsPort));
    if (only.has('http-proxy-3')) targets.push(() => startHttpProxy3(upstream.port, wsPort));
    if (only.has('configurable-http-proxy')) targets.push(() => startChp(upstream.port, wsPort));
    if (only.has('berth')) targets.push(() => startBerth(upstream.port, wsPort, args['berth-entry'] === 'script' ? 'script' : 'cli'));
    // Beside `berth`: the same proxy code reaching the upstreams inside an isolated local session,
    // as the server does (its dialer), and through the holder's forwarder (the mechanism it replaced).
    if (only.has('isolated')) targets.push(() => startBerthIsolated(dir, files, upstream.port, wsPort, 'dialer'));
    if (only.has('isolated-forwarder')) targets.push(() => startBerthIsolated(dir, files, upstream.port, wsPort, 'forwarder'));
    for (const start of targets) {
      const target = await start();
      try {
        rows.push(await measure(target));
      } finally {
        await target.stop();
      }
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }

  const loadAfter = loadavg();
  console.log(`\nbench/proxy  ${new Date().toISOString()}  node ${process.version}  wrk -t1 -c50 -d${seconds}s  load avg before ${load.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}\n`);
  printTable(rows);
  const ratioTable = ratios(rows);
  if (Object.keys(ratioTable).length) {
    console.log('\nratios to nginx (req/s: higher is better; p99, time: lower is better)');
    for (const [name, r] of Object.entries(ratioTable)) {
      console.log(
        `  ${name.padEnd(24)} small req/s ${fmt(r.smallRps)}x  small p99 ${fmt(r.smallP99)}x  64k req/s ${fmt(r.largeRps)}x  c1 p50 ${fmt(r.singleP50)}x  1GiB time ${fmt(r.downloadTime)}x  WS p99 ${fmt(r.wsP99)}x`,
      );
    }
  }
  const isolated = isolatedToHostPorts(rows);
  if (isolated) {
    console.log('\nisolated / berth on host ports (the issue-17 bound: req/s within 15 %, i.e. >= 0.85x)');
    for (const [name, r] of Object.entries(isolated)) {
      console.log(`  ${name.padEnd(24)} small req/s ${fmt(r.smallRps)}x  64k req/s ${fmt(r.largeRps)}x  c1 p50 ${fmt(r.singleP50)}x  1GiB time ${fmt(r.downloadTime)}x  WS p99 ${fmt(r.wsP99)}x`);
    }
  }
  const out = args.out ?? join(ROOT, 'bench/results', `proxy-${new Date().toISOString().slice(0, 10)}.json`);
  await mkdir(join(out, '..'), { recursive: true });
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds, loadBefore: load, loadAfter, rows, ratiosToNginx: ratioTable, ...(isolated ? { isolatedToBerth: isolated } : {}) }, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

await main();
