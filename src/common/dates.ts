/** Today's date in UTC as `YYYY-MM-DD`: the form a plan assignment's validFrom and validTo take. */
export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
