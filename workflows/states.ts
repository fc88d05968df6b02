/**
 * Names of journey states and human task types. The workflow, the handlers, the local runtime's
 * log lines and the tests all use these, so a rename is one edit.
 */
export const journeyStates = {
  triage: 'Triage',
  triageOutcome: 'TriageOutcome',
  review: 'Review',
  reviewOutcome: 'ReviewOutcome',
  firstContact: 'FirstContact',
  firstContactOutcome: 'FirstContactOutcome',
  recordEngaged: 'RecordEngaged',
  engaged: 'Engaged',
  closeNotEligible: 'CloseNotEligible',
  notEligible: 'NotEligible',
  closeNotEngaged: 'CloseNotEngaged',
  notEngaged: 'NotEngaged',
  closeDeclined: 'CloseDeclined',
  declined: 'Declined',
  recordNeedsAttention: 'RecordNeedsAttention',
  needsAttention: 'NeedsAttention',
} as const;

export const taskTypes = {
  firstContact: 'first_contact',
  needsReview: 'needs_review',
} as const;
export type TaskType = (typeof taskTypes)[keyof typeof taskTypes];
