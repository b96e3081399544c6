// The load generator of npm run bench:dashboard, one process per measurement so
// that no measurement inherits the previous one's heap: argv[4] clients against
// argv[2], each request the next path of the JSON array in the file argv[3], for
// argv[6] seconds not counted (the server was just started: its code is not yet
// optimized and DuckDB has not yet read the rows into its buffers), then argv[5]
// seconds measured. Prints {p50, p95, rps,
// requests, errors} (ms) as JSON, and with argv[7], the server's process id, the
// CPU time it used per measured request (cpu_us_per_request; null without /proc).

import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, pathsFile, connections, duration, warmup, pid] = process.argv.slice(2);

/** CPU time (user + system, µs) process `pid` has used so far; null where /proc is not there. */
function cpuMicros(): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100); // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

if (!url || !pathsFile) throw new Error('usage: bench-load <url> <paths.json> <connections> <seconds> <warm-up seconds>');
const paths = JSON.parse(readFileSync(pathsFile, 'utf8')) as string[];
let i = 0;
const load = (seconds: number, times: number[] | null) => new Promise<autocannon.Result>((resolve, reject) => {
  const inst = autocannon({
    url, connections: Number(connections), duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] as string }) }],
  }, (err, res) => (err ? reject(err) : resolve(res)));
  if (times) inst.on('response', (_client, _status, _bytes, ms) => { times.push(ms); });
});
if (Number(warmup) > 0) await load(Number(warmup), null);
const times: number[] = [];
const before = pid ? cpuMicros() : null;
const result = await load(Number(duration), times);
const after = pid ? cpuMicros() : null;
times.sort((a, b) => a - b);
const q = (p: number) => (times.length ? (times[Math.min(times.length - 1, Math.floor(p * times.length))] as number) : NaN);
const round = (x: number) => Math.round(x * 100) / 100;
process.stdout.write(`${JSON.stringify({ p50: round(q(0.5)), p95: round(q(0.95)), rps: Math.round(result.requests.average), requests: times.length, errors: result.errors + result.non2xx,
  cpu_us_per_request: before === null || after === null || times.length === 0 ? null : Math.round((after - before) / times.length) })}\n`);
