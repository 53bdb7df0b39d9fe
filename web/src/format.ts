// Display helpers shared by the pages.

// An RFC 3339 time as the browser's locale shows it; empty for none or Go's zero time.
export function formatTime(value: string | undefined): string {
  if (!value || value.startsWith('0001-01-01')) return '';
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? value : time.toLocaleString();
}
