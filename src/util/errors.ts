// Typed errors: every failure vigil reports carries a stable code that tests
// and callers branch on, plus the underlying cause.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'SOURCE_UNREADABLE'
  | 'UNKNOWN_COLUMN'
  | 'BAD_COLUMN_TYPE'
  | 'QUERY_FAILED'
  | 'TIMEOUT'
  | 'STORE_FAILED'
  | 'NO_MATCH'
  | 'SHUTTING_DOWN'
  | 'ALREADY_RUNNING';

export class VigilError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'VigilError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
