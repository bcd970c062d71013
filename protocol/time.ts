// The `<time>` argument of SEEK: integer milliseconds since the epoch, or an ISO 8601 date-time
// `YYYY-MM-DDTHH:MM:SS[.s, up to 3 digits][Z|+HH:MM|-HH:MM|+HHMM|-HHMM]` (no offset: UTC).
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:?\d{2})?$/;
const DIGITS = /^\d{1,16}$/;

/** Milliseconds since the epoch, or null when `text` is neither form (or not a real date). */
export function parseTime(text: string): number | null {
  if (DIGITS.test(text)) {
    const ms = Number(text);
    return Number.isSafeInteger(ms) ? ms : null;
  }
  const m = ISO.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (new Date(local).getUTCDate() !== day) return null; // 2026-02-30
  const zone = m[8];
  if (zone === undefined || zone === 'Z') return local;
  const digits = zone.replace(':', '');
  const offsetHours = Number(digits.slice(1, 3));
  const offsetMinutes = Number(digits.slice(3, 5));
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  const utc = zone[0] === '+' ? local - offset : local + offset;
  return utc >= 0 ? utc : null;
}
