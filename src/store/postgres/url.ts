// A postgres:// store URL: the connection string pg takes, the schema
// (`?schema=`, default vigil) split off, and the URL as shown (no password).

import { VigilError } from '../../util/errors.js';

export const DEFAULT_SCHEMA = 'vigil';

export function parseStoreUrl(location: string): { url: string; schema: string } {
  let u: URL;
  try {
    u = new URL(location);
  } catch {
    throw new VigilError('CONFIG_INVALID', `store: ${redactUrl(location)} is not a valid URL — write it as postgres://user:password@host:5432/database?schema=vigil`);
  }
  const schema = u.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema)) {
    throw new VigilError('CONFIG_INVALID', `store: schema "${schema}" is not a plain PostgreSQL name — use letters, digits and _ (e.g. ?schema=vigil)`);
  }
  u.searchParams.delete('schema');
  return { url: u.toString(), schema };
}

/** The URL with any password replaced by ***. */
export function redactUrl(location: string): string {
  try {
    const u = new URL(location);
    const secret = u.password;
    if (!secret) return location;
    u.password = '***';
    return u.toString().split(secret).join('***');
  } catch {
    return location.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
