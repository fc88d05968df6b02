import { describe, expect, it } from 'vitest';
import { attemptInOccurrence, attemptsLeft } from '../../functions/domain/stages.ts';

const task = (type: string, attempt: number, status: string) => ({ type, attempt, status });

describe('attemptInOccurrence', () => {
  it('counts every first contact task, answered "unable to contact" or overdue', () => {
    const tasks = [task('first_contact', 1, 'completed'), task('first_contact', 2, 'superseded'), task('first_contact', 3, 'open')];
    expect(attemptInOccurrence(tasks)).toBe(3);
    expect(attemptsLeft(attemptInOccurrence(tasks), 3)).toBe(false);
  });

  it('starts a follow-up afresh after the last completed one', () => {
    const tasks = [
      task('follow_up', 1, 'completed'),
      task('follow_up', 2, 'completed'),
      task('follow_up', 3, 'completed'),
      task('follow_up', 4, 'open'),
    ];
    expect(attemptInOccurrence(tasks)).toBe(1);
    expect(attemptsLeft(attemptInOccurrence(tasks), 3)).toBe(true);
  });

  it('counts the late tries of the current follow-up, in any order given', () => {
    const tasks = [task('follow_up', 4, 'superseded'), task('follow_up', 2, 'completed'), task('follow_up', 5, 'open'), task('follow_up', 3, 'superseded')];
    expect(attemptInOccurrence(tasks)).toBe(3);
    expect(attemptsLeft(3, 3)).toBe(false);
  });

  it('treats provider chases as recurring too, and no tasks as no attempt', () => {
    expect(attemptInOccurrence([task('provider_chase', 1, 'completed'), task('provider_chase', 2, 'open')])).toBe(1);
    expect(attemptInOccurrence([])).toBe(0);
  });
});
