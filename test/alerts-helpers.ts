// Real stand-ins for alert receivers, both on port 0: an HTTP server playing
// Slack's Incoming Webhook endpoint, PagerDuty's Events API or any webhook
// receiver (scripted answers, every request kept with its headers),
// and an SMTP server (smtp-server) whose messages are parsed with mailparser.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SlackRequest {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as received (what a signature covers). */
  raw: string;
  body: { text: string; blocks: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface SlackStandIn {
  url: string;
  requests: SlackRequest[];
  /** Answers for the next requests, in order; after them: 200 "ok". */
  script: Array<{ status: number; body?: string; headers?: Record<string, string> }>;
  close(): Promise<void>;
}

function listen(server: Server | SMTPServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = (server as { server?: Server }).server ?? (server as Server);
    s.once('error', reject);
    (server as Server).listen(port, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
  });
}

export async function slackStandIn(script: SlackStandIn['script'] = []): Promise<SlackStandIn> {
  const requests: SlackRequest[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => { data += c.toString(); });
    req.on('end', () => {
      let body: SlackRequest['body'];
      try { body = JSON.parse(data) as SlackRequest['body']; } catch { body = { text: data, blocks: [] }; }
      requests.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, raw: data, body });
      const r = script.shift() ?? { status: 200, body: 'ok' };
      res.writeHead(r.status, { 'content-type': 'text/plain', ...r.headers });
      res.end(r.body ?? (r.status === 200 ? 'ok' : ''));
    });
  });
  const port = await listen(server, 0);
  return {
    url: `http://127.0.0.1:${port}`, requests, script,
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

export interface SmtpStandIn {
  port: number;
  messages: ParsedMail[];
  /** Envelope recipients per message, as the server saw them. */
  logins: string[];
  close(): Promise<void>;
}

/** An SMTP server without TLS. With `user`/`pass` it requires that login; recipients matching `reject` get 550. */
export async function smtpStandIn(opts: { port?: number; user?: string; pass?: string; reject?: RegExp } = {}): Promise<SmtpStandIn> {
  const messages: ParsedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: opts.user === undefined,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.pass) { logins.push(auth.username ?? ''); cb(null, { user: auth.username }); }
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      if (opts.reject?.test(address.address)) cb(Object.assign(new Error(`<${address.address}>: no such user here`), { responseCode: 550 }));
      else cb();
    },
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => { messages.push(m); cb(); }, (err: Error) => cb(err));
    },
  });
  const port = await listen(server, opts.port ?? 0);
  return { port, messages, logins, close: () => new Promise((r) => server.close(() => r())) };
}

/** A port nothing listens on (taken and released), for a channel that is down. */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
