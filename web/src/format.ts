// Display helpers shared by the pages.

import { ApiError } from './api';

// An RFC 3339 time as the browser's locale shows it; empty for none or Go's zero time.
export function formatTime(value: string | undefined): string {
  if (!value || value.startsWith('0001-01-01')) return '';
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? value : time.toLocaleString();
}

// The reason an API call failed, in the server's words when it gave them.
export function errorText(err: unknown): string {
  return err instanceof ApiError ? err.message : String(err);
}
