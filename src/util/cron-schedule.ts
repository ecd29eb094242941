import { IConstruct } from 'constructs';
import { propError } from './validation';

/** One field of a five-field schedule, as the Kubernetes API server's cron parser (robfig/cron v3) reads it. */
interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Whether `?` may stand for `*` (day of month, day of week). */
  readonly question?: boolean;
}

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, question: true },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], question: true },
];

/** The descriptors the API server accepts (each fires at minute 0, at most once an hour). */
const DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * Checks a CronJob schedule as the API server's parser would (five fields, or a descriptor such as `@daily`).
 * With `hourlyAtMostBecause`, also that it fires at most once an hour: its minute field must be one minute.
 * `Cron.schedule()` leaves every field it is not given at `*`, so `Cron.schedule({ hour: '3' })` fires sixty times
 * between 03:00 and 03:59.
 * @param hourlyAtMostBecause why firing more often is wrong, for the error
 * @returns the expression
 */
export function requireCronSchedule(scope: IConstruct, property: string, expression: string, hourlyAtMostBecause?: string): string {
  const fail = (why: string): never => {
    throw propError(scope, property, `(${JSON.stringify(expression)}) ${why}`);
  };
  if (typeof expression !== 'string' || expression.trim() === '') fail('must be a cron schedule such as "0 3 * * 0" (Sundays at 03:00)');
  if (/(^|\s)(CRON_)?TZ=/.test(expression)) fail('must not set a time zone: use the timeZone property');
  const trimmed = expression.trim();
  if (trimmed.startsWith('@')) {
    if (!DESCRIPTORS.includes(trimmed.toLowerCase())) {
      fail(`is not a schedule the API server accepts: use five fields, or one of ${DESCRIPTORS.join(', ')}`);
    }
    return expression;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    fail(`has ${fields.length} fields: a CronJob schedule has five (minute hour day-of-month month day-of-week), such as "0 3 * * 0"`);
  }
  fields.forEach((text, i) => {
    const problem = fieldProblem(FIELDS[i], text);
    if (problem) fail(`has an invalid ${FIELDS[i].name} field ${JSON.stringify(text)}: ${problem}`);
  });
  const never = neverFiresProblem(fields);
  if (never) fail(never);
  if (hourlyAtMostBecause !== undefined && !/^\d+$/.test(fields[0])) {
    fail(`fires more than once an hour, and ${hourlyAtMostBecause}: set the minute to one number, `
      + 'such as Cron.schedule({ minute: \'0\', hour: \'3\' }) (Cron.schedule leaves every field it is not given at \'*\')');
  }
  return expression;
}

/** Why a field is invalid, or undefined when it is valid. */
function fieldProblem(field: CronField, text: string): string | undefined {
  const range = `${field.min}-${field.max}${field.names ? ` or ${field.names[0].toUpperCase()}-${field.names[field.names.length - 1].toUpperCase()}` : ''}`;
  for (const part of text.split(',')) {
    const [span, step, extra] = part.split('/');
    if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
      return 'a step is \'/\' and a whole number of at least 1, such as "*/2"';
    }
    if (span === '*' || (span === '?' && field.question)) continue;
    const bounds = span.split('-');
    if (bounds.length > 2) return `a range is low-high, such as "1-5" (values ${range})`;
    const values = bounds.map((b) => value(field, b));
    if (values.some((v) => v === undefined)) return `values are ${range}, or '*'`;
    if (values.length === 2 && values[0]! > values[1]!) return `the range ${span} runs backwards`;
  }
  return undefined;
}

/** Days of each month (February with its leap day: the 29th fires in leap years). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The values a valid field selects. */
function selected(field: CronField, text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [span, step] = part.split('/');
    let [low, high] = span === '*' || span === '?' ? [field.min, field.max] : span.split('-').map((b) => value(field, b)!);
    if (high === undefined) high = step !== undefined ? field.max : low;
    for (let n = low; n <= high; n += Number(step ?? 1)) out.add(n);
  }
  return [...out];
}

/**
 * Why a valid schedule never fires, or undefined: a day of the month that no month it names has (`0 3 31 2 *`,
 * `30 4 31 4,6,9,11 *`). The API server accepts such a schedule; the CronJob never starts a Job. With a day of the
 * week restricted too, the schedule fires on either (robfig/cron), so it fires.
 */
function neverFiresProblem(fields: string[]): string | undefined {
  const [, , dayField, monthField, weekdayField] = fields;
  if (weekdayField !== '*' && weekdayField !== '?') return undefined;
  const days = selected(FIELDS[2], dayField);
  const months = selected(FIELDS[3], monthField);
  if (months.some((m) => days.some((d) => d <= MONTH_DAYS[m - 1]))) return undefined;
  const names = months.map((m) => FIELDS[3].names![m - 1].replace(/^./, (c) => c.toUpperCase()));
  return `never fires: day ${dayField} of the month does not exist in ${names.join(', ')} (the API server accepts the schedule, `
    + 'but the CronJob never starts a Job). Pick a day the named months have (1 to 28 exist in every month)';
}

function value(field: CronField, text: string): number | undefined {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

/**
 * Checks a CronJob `timeZone`: a name of the tz database such as `Europe/Berlin` or `UTC`, spelt as the database
 * spells it (the API server loads it by file name, so case matters), and not `Local`, which the API server refuses.
 * @returns the time zone
 */
export function requireTimeZone(scope: IConstruct, property: string, timeZone: string): string {
  let resolved: string | undefined;
  try {
    resolved = typeof timeZone === 'string' ? new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone : undefined;
  } catch {
    resolved = undefined;
  }
  const wrongCase = resolved !== undefined && resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase();
  if (resolved === undefined || wrongCase || timeZone.toLowerCase() === 'local') {
    throw propError(scope, property, `(${JSON.stringify(timeZone)}) is not a time zone the API server knows: `
      + `use a tz database name such as "Europe/Berlin" or "UTC"${wrongCase ? ` (spelt "${resolved}")` : ''}`);
  }
  return timeZone;
}
