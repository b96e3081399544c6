// dashboard.token for pages and API: `Authorization: Bearer <token>`, or a
// session cookie from the login form. The cookie holds a random session id
// kept in memory, never the token or anything derived from it: logout
// revokes it at once, and a restart signs everyone out.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { dashboardDir } from './pages.js';

export const SESSION_COOKIE = 'vigil_session';
const SESSION_MS = 12 * 3600 * 1000;
const MAX_SESSIONS = 1000;
/** Reachable without a session: the login page and what it loads. */
const PUBLIC_ASSETS = new Set(['/assets/login.css', '/assets/favicon.svg']);

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function bearer(req: Request): string | null {
  const h = req.get('authorization') ?? '';
  return h.startsWith('Bearer ') ? h.slice(7) : null;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** `next` only when it is a path on this server: never another origin (`//evil`, `/\evil`, a URL). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\r\n\t]/.test(next)) return '/';
  return next;
}

function readCookie(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try { return decodeURIComponent(part.slice(i + 1).trim()); } catch { return null; }
    }
  }
  return null;
}

export interface Auth {
  /** Login, logout and the guard in front of everything else. */
  router: Router;
  /** Whether the request may see what the token protects (always, while no token is set). */
  authorized(req: Request): boolean;
  /** The name of the credential a request came with, for "who acknowledged": recorded when the request names nobody. */
  who(req: Request): string;
}

/**
 * With `token()` null everything is open (the default bind is 127.0.0.1; origin.ts keeps other
 * sites' pages out). Otherwise every route except GET /healthz (mounted before this, and bare
 * without authorized()) and the login page needs the token or a session;
 * state-changing API calls on a cookie must be JSON from this origin (CSRF).
 */
export function createAuth(opts: { token: () => string | null; internalToken: string }): Auth {
  const sessions = new Map<string, number>();
  const router = express.Router();
  const loginFile = path.join(dashboardDir(), 'login.html');

  const validSession = (req: Request): boolean => {
    const sid = readCookie(req, SESSION_COOKIE);
    if (!sid) return false;
    const until = sessions.get(sid);
    if (until === undefined) return false;
    if (until < Date.now()) { sessions.delete(sid); return false; }
    return true;
  };

  const loginPage = (res: Response, status: number, next: string, error: string) => {
    const html = readFileSync(loginFile, 'utf8').replace('{{error}}', escapeHtml(error)).replace('{{next}}', escapeHtml(next));
    res.status(status).type('html').set('Cache-Control', 'no-store').send(html);
  };

  router.get('/login', (req, res) => {
    if (opts.token() === null) { res.redirect(303, safeNext(req.query.next)); return; }
    loginPage(res, 200, safeNext(req.query.next), '');
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '10kb' }), (req, res) => {
    const token = opts.token();
    const body = (req.body ?? {}) as { token?: unknown; next?: unknown };
    const next = safeNext(body.next);
    if (token === null) { res.redirect(303, next); return; }
    if (typeof body.token !== 'string' || !sameSecret(body.token, token)) {
      loginPage(res, 401, next, 'That is not the dashboard token.');
      return;
    }
    if (sessions.size >= MAX_SESSIONS) {
      const oldest = [...sessions.entries()].sort((a, b) => a[1] - b[1])[0];
      if (oldest) sessions.delete(oldest[0]);
    }
    const sid = randomBytes(32).toString('base64url');
    sessions.set(sid, Date.now() + SESSION_MS);
    res.cookie(SESSION_COOKIE, sid, { httpOnly: true, sameSite: 'strict', path: '/', maxAge: SESSION_MS, secure: req.secure });
    res.redirect(303, next);
  });

  router.post('/logout', (req, res) => {
    const sid = readCookie(req, SESSION_COOKIE);
    if (sid) sessions.delete(sid);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure });
    res.redirect(303, '/login');
  });

  router.use((req: Request, res: Response, next: NextFunction) => {
    const token = opts.token();
    if (token === null) return next();
    if (req.method === 'GET' && PUBLIC_ASSETS.has(req.path)) return next();
    const got = bearer(req);
    if (got !== null && (sameSecret(got, token) || sameSecret(got, opts.internalToken))) return next();
    const isApi = req.path.startsWith('/api/') || req.path === '/metrics';
    if (got === null && validSession(req)) {
      if (req.method === 'GET' || req.method === 'HEAD') return next();
      // A cross-site form cannot send JSON without a CORS preflight, which this server never grants;
      // SameSite=Strict already keeps the cookie off cross-site requests.
      const origin = req.get('origin');
      const host = req.get('host');
      if (!req.is('application/json') || (origin !== undefined && host !== undefined && origin.replace(/^https?:\/\//, '') !== host)) {
        res.status(403).json({ error: 'a state-changing call with the session cookie must be a JSON request from this dashboard' });
        return;
      }
      return next();
    }
    if (!isApi && (req.method === 'GET' || req.method === 'HEAD') && req.accepts(['json', 'html']) === 'html') {
      res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    res.status(401).json({ error: 'unauthorized: send Authorization: Bearer <dashboard.token>, or sign in at /login' });
  });

  const authorized = (req: Request): boolean => {
    const token = opts.token();
    if (token === null) return true;
    const got = bearer(req);
    if (got !== null) return sameSecret(got, token) || sameSecret(got, opts.internalToken);
    return validSession(req);
  };

  const who = (req: Request): string => {
    const token = opts.token();
    const got = bearer(req);
    if (got !== null && sameSecret(got, opts.internalToken)) return 'vigil cli';
    if (token === null) return 'anonymous';
    if (got !== null) return 'dashboard.token';
    return 'dashboard session';
  };

  return { router, authorized, who };
}
