// Preload for `npm run bench` when /usr/bin/time is not available:
//   node --import <this file> <script> ...
// writes the process's peak resident set size (KiB, from process.resourceUsage().maxRSS)
// to the file named by VIGIL_BENCH_RSS_FILE when the process exits (also on process.exit()).
import { writeFileSync } from 'node:fs';

const out = process.env['VIGIL_BENCH_RSS_FILE'];
if (out !== undefined && out !== '') {
  process.on('exit', () => {
    try {
      writeFileSync(out, `${process.resourceUsage().maxRSS}\n`);
    } catch {
      // the benchmark reports a missing figure; never disturb the measured process
    }
  });
}
