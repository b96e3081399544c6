// Without dashboard.token the API is open to whoever reaches the port (127.0.0.1 by
// default) — but not to web pages that a browser on this machine happens to show. Two
// checks keep them out: a request must be addressed to one of this server's own names
// (a page on a rebinding domain reaches 127.0.0.1 under its own name: DNS rebinding), and
// a state-changing request must come from this server's own pages (any page may POST a
// text/plain form cross-site; browsers say where it came from in Origin and Sec-Fetch-Site).

import { isIP } from 'node:net';
import os from 'node:os';
import type { NextFunction, Request, Response } from 'express';
import type { Project } from '../config/model.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The hostname of a Host header ("name:port", "[v6]:port", "name"), lower case, without brackets. */
export function hostnameOf(host: string): string | null {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
}

/** The names this server answers to without a token: its bind address, public_url's host, this machine's names. */
export function ownHostnames(project: Project): Set<string> {
  const names = new Set<string>(['localhost']);
  const machine = os.hostname().toLowerCase();
  if (machine) {
    names.add(machine);
    names.add(machine.split('.')[0] as string);
  }
  const d = project.config.dashboard;
  const bound = hostnameOf(d.host);
  if (bound) names.add(bound);
  if (d.public_url) {
    try { names.add(new URL(d.public_url).hostname.toLowerCase().replace(/^\[|\]$/g, '')); } catch { /* validated elsewhere */ }
  }
  return names;
}

function allowedHost(hostname: string, own: Set<string>): boolean {
  // An address cannot be rebound: only a DNS name can point somewhere new.
  return isIP(hostname) !== 0 || hostname === 'localhost' || hostname.endsWith('.localhost') || own.has(hostname);
}

/** Whether `origin` (an Origin header) is this server as the request addressed it, or its public_url. */
function sameOrigin(origin: string, req: Request, project: Project): boolean {
  let o: URL;
  try { o = new URL(origin); } catch { return false; }
  const host = (req.get('host') ?? '').toLowerCase();
  if (o.host.toLowerCase() === host) return true;
  const pub = project.config.dashboard.public_url;
  if (!pub) return false;
  try { return new URL(pub).origin === o.origin; } catch { return false; }
}

/**
 * The guard in front of every route while no token is set (with a token, the token is the
 * guard: a rebinding page or a cross-site form does not have it).
 */
export function tokenlessGuard(opts: { token: () => string | null; project: () => Project }) {
  let cached: { project: Project; names: Set<string> } | null = null;
  const names = (): Set<string> => {
    const project = opts.project();
    if (cached?.project !== project) cached = { project, names: ownHostnames(project) };
    return cached.names;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    if (opts.token() !== null) return next();
    const host = req.get('host');
    if (host !== undefined) {
      const hostname = hostnameOf(host);
      if (hostname === null || !allowedHost(hostname, names())) {
        res.status(403).json({
          error: `this vigil serve does not answer requests for host '${host}': without dashboard.token it answers only its own names (IP addresses, localhost, `
            + 'this machine\'s name and dashboard.public_url\'s host), so that no web page can reach it under a name of its own (DNS rebinding) — '
            + 'set dashboard.public_url to the name you use, or set dashboard.token',
        });
        return;
      }
    }
    if (!SAFE_METHODS.has(req.method)) {
      const site = req.get('sec-fetch-site');
      const origin = req.get('origin');
      if ((site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && !sameOrigin(origin, req, opts.project()))) {
        res.status(403).json({ error: 'a state-changing request must come from this dashboard\'s own pages (or a client that sends no Origin, such as curl or vigil run)' });
        return;
      }
    }
    next();
  };
}
