/**
 * Names of journey states and human task types. The workflow, the handlers, the local runtime's
 * log lines and the tests all use these, so a rename is one edit.
 */
export const journeyStates = {
  triage: 'Triage',
  triageOutcome: 'TriageOutcome',
  review: 'Review',
  reviewOutcome: 'ReviewOutcome',
  assignCoach: 'AssignCoach',
  assigned: 'CoachAssigned',
  waitlist: 'Waitlist',
  firstContact: 'FirstContact',
  firstContactOutcome: 'FirstContactOutcome',
  contactAttemptFailed: 'ContactAttemptFailed',
  moreContactAttempts: 'MoreContactAttempts',
  assessment: 'Assessment',
  support: 'Support',
  onwardReferrals: 'OnwardReferrals',
  sendOnwardReferral: 'SendOnwardReferral',
  chaseProvider: 'ChaseProvider',
  providerNoAnswer: 'ProviderNoAnswer',
  providerChase: 'ProviderChase',
  providerAnswered: 'ProviderAnswered',
  followUpOrOutcome: 'FollowUpOrOutcome',
  waitForFollowUp: 'WaitForFollowUp',
  followUp: 'FollowUp',
  followUpsDone: 'FollowUpsDone',
  outcome: 'Outcome',
  discharge: 'Discharge',
  completed: 'Completed',
  closeNotEligible: 'CloseNotEligible',
  notEligible: 'NotEligible',
  closeNotEngaged: 'CloseNotEngaged',
  notEngaged: 'NotEngaged',
  closeDeclined: 'CloseDeclined',
  declined: 'Declined',
  attemptsExhausted: 'AttemptsExhausted',
  recordNeedsAttention: 'RecordNeedsAttention',
  needsAttention: 'NeedsAttention',
} as const;

/** Human tasks: each waits on a person, with a reminder, an escalation and a grace period. */
export const taskTypes = {
  firstContact: 'first_contact',
  needsReview: 'needs_review',
  assessment: 'assessment',
  followUp: 'follow_up',
  outcome: 'outcome',
  providerChase: 'provider_chase',
} as const;
export type TaskType = (typeof taskTypes)[keyof typeof taskTypes];
export const allTaskTypes = Object.values(taskTypes) as [TaskType, ...TaskType[]];

/** Phases of a human task; each is one entry of the task state with its own time-out. */
export const taskPhases = ['open', 'remind', 'grace'] as const;
export type TaskPhase = (typeof taskPhases)[number];
