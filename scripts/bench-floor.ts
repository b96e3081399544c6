// The floor of npm run bench:dashboard, in a process of its own: a bare express
// app serving the bodies in the JSON file argv[2] ([[path, body], …]) from memory,
// as `res.type('application/json').send(body)`. Prints its URL and serves until killed.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

const file = process.argv[2];
if (!file) throw new Error('usage: bench-floor <bodies.json>');
const bodies = new Map(JSON.parse(readFileSync(file, 'utf8')) as Array<[string, string]>);
const app = express();
app.disable('x-powered-by');
app.use((req, res) => {
  const body = bodies.get(req.url);
  if (body === undefined) { res.status(404).end(); return; }
  res.type('application/json').send(body);
});
const server = createServer(app);
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
