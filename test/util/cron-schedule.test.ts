import { Testing } from 'cdk8s';
import { requireCronSchedule } from '../../src/util/cron-schedule';

describe('requireCronSchedule', () => {
  const check = (expression: string) => requireCronSchedule(Testing.chart(), 'schedule', expression);

  test('a day that never exists in the months named is refused: the API server accepts it, the CronJob never fires', () => {
    expect(() => check('0 3 31 2 *')).toThrow(/test: 'schedule' \("0 3 31 2 \*"\) never fires: day 31 of the month does not exist in Feb \(the API server accepts the schedule, but the CronJob never starts a Job\). Pick a day the named months have \(1 to 28 exist in every month\)/);
    expect(() => check('30 4 31 4,6,9,11 *')).toThrow(/never fires: day 31 of the month does not exist in Apr, Jun, Sep, Nov/);
    expect(() => check('0 0 30,31 feb ?')).toThrow(/never fires: day 30,31 of the month does not exist in Feb/);
    expect(() => check('0 0 30-31 2 *')).toThrow(/never fires/);
  });

  test('schedules that fire at least sometimes pass', () => {
    expect(check('0 3 29 2 *')).toBe('0 3 29 2 *'); // leap years
    expect(check('0 3 31 * *')).toBe('0 3 31 * *'); // months with 31 days
    expect(check('0 3 31 2,3 *')).toBe('0 3 31 2,3 *'); // March
    expect(check('0 3 31 2 1')).toBe('0 3 31 2 1'); // day of week restricted too: either fires (Mondays in February)
    expect(check('0 3 */10 2 *')).toBe('0 3 */10 2 *');
    expect(check('0 3 1 */2 *')).toBe('0 3 1 */2 *');
    expect(check('@monthly')).toBe('@monthly');
  });
});
