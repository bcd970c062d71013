// The `<time>` argument of SEEK: integer milliseconds since the epoch, or an ISO 8601 date-time
// `YYYY-MM-DDTHH:MM:SS[.s, up to 3 digits][Z|+HH:MM|-HH:MM|+HHMM|-HHMM]` (no offset: UTC).
// A time before the epoch is 0 (it is before every record either way).
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
  // Groups 1-6 are not optional in ISO: a match has them all.
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC: it reads years 0-99 as 1900-1999
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day) return null; // 2026-02-30
  const local = date.getTime();
  const zone = m[8];
  if (zone === undefined || zone === 'Z') return Math.max(0, local);
  const digits = zone.replace(':', '');
  const offsetHours = Number(digits.slice(1, 3));
  const offsetMinutes = Number(digits.slice(3, 5));
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  // Times before the epoch come before every record: 0 answers the same.
  return Math.max(0, zone[0] === '+' ? local - offset : local + offset);
}
