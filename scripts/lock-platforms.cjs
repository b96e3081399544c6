// Adds package-lock entries for the @duckdb/node-bindings-* packages of other platforms.
// The registry this project is built against does not serve them, so npm leaves them out
// of the lock, and `npm ci` then calls the lock out of sync. Run after `npm install` changes
// the lock: node scripts/lock-platforms.cjs
const fs = require('fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const api = lock.packages['node_modules/@duckdb/node-bindings'];
const plat = { 'darwin-arm64': ['darwin', 'arm64'], 'darwin-x64': ['darwin', 'x64'], 'linux-arm64': ['linux', 'arm64'], 'linux-arm64-musl': ['linux', 'arm64', 'musl'], 'linux-x64': ['linux', 'x64'], 'linux-x64-musl': ['linux', 'x64', 'musl'], 'win32-arm64': ['win32', 'arm64'], 'win32-x64': ['win32', 'x64'] };
let added = 0;
for (const [name, version] of Object.entries(api.optionalDependencies)) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [os, cpu, libc] = plat[name.replace('@duckdb/node-bindings-', '')];
  lock.packages[key] = { version, cpu: [cpu], license: 'MIT', optional: true, os: [os], ...(libc ? { libc: [libc] } : {}) };
  added++;
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log('added', added);
