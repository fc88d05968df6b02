/**
 * The time that people's own waits are measured on: session time-outs and the sign-in and
 * self-referral forms that hang on them. In AWS it is simply Date. The local runtime may run
 * Date faster than real time (`--clock-speed`) to move journeys along; it then sets
 * WORKWELL_PEOPLE_TIME=real, and these read the wall clock instead, which the runtime leaves
 * alone, so a person can still use the pages. Nothing here knows where it runs.
 */
export const PEOPLE_TIME_ENV = 'WORKWELL_PEOPLE_TIME';

export function peopleNow(): number {
  return process.env[PEOPLE_TIME_ENV] === 'real' ? Math.floor(performance.timeOrigin + performance.now()) : Date.now();
}
