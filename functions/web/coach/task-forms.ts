import { type AreaSettings, measureRanges, type MeasureName } from '../../../areas/schema.ts';
import { barrierCategories, employmentOutcomes } from '../../domain/task-results.ts';
import type { TaskType } from '../../../workflows/states.ts';
import { checkboxes, dateInput, type FieldError, errorFor, radios, textarea, textInput } from '../components.ts';
import { readDate } from '../date-field.ts';
import { html, type SafeHtml } from '../html.ts';
import { field } from '../http.ts';

/**
 * The form of each task type in the coach workspace: its fields, and the reading of a submitted
 * form into the answer the task API takes (functions/domain/task-results.ts). Only the shape is
 * made here, with messages for what a person can get wrong; completeTask validates the answer
 * against the task type and the area exactly as it does for the API.
 */
export type Form = Record<string, string[]>;

export interface TaskForm {
  readonly title: string;
  fields(form: Form, errors: readonly FieldError[], area: AreaSettings): SafeHtml;
  read(form: Form, area: AreaSettings, today: string): { result: Record<string, unknown>; errors: FieldError[] };
}

const values = (form: Form, name: string) => form[name] ?? [];
const text = (form: Form, name: string) => field(form, name).trim();
const lines = (form: Form, name: string) =>
  text(form, name)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
const yesNo = [
  { value: 'yes', text: 'Yes' },
  { value: 'no', text: 'No' },
];
const humanise = (code: string) => (code.charAt(0).toUpperCase() + code.slice(1)).replaceAll('_', ' ');
const items = (codes: readonly string[]) => codes.map((c) => ({ value: c, text: humanise(c) }));

function choice<T extends string>(form: Form, name: string, allowed: readonly T[], message: string, errors: FieldError[]): T | undefined {
  const value = text(form, name);
  if ((allowed as readonly string[]).includes(value)) return value as T;
  errors.push({ field: name, message });
  return undefined;
}

function chosen<T extends string>(form: Form, name: string, allowed: readonly T[]): T[] {
  return [...new Set(values(form, name).filter((v): v is T => (allowed as readonly string[]).includes(v)))];
}

function optionalNote(form: Form, errors: FieldError[]): { note?: string } {
  const note = text(form, 'note');
  if (note.length > 1000) errors.push({ field: 'note', message: 'Notes must be 1,000 characters or fewer' });
  return note ? { note } : {};
}

const noteField = (form: Form, errors: readonly FieldError[]) =>
  textarea({ name: 'note', label: 'Notes (optional)', hint: 'Only the participant’s coach and team lead can see notes.', value: field(form, 'note'), error: errorFor(errors, 'note'), rows: 4 });

function wholeNumber(form: Form, name: string, label: string, range: { min: number; max: number }, errors: FieldError[], required: boolean): number | undefined {
  const raw = text(form, name);
  if (!raw) {
    if (required) errors.push({ field: name, message: `Enter ${label}` });
    return undefined;
  }
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || value < range.min || value > range.max) {
    errors.push({ field: name, message: `${humanise(label)} must be a whole number from ${range.min} to ${range.max}` });
    return undefined;
  }
  return value;
}

const measureLabel: Record<MeasureName, string> = {
  wsas: 'WSAS score',
  phq9: 'PHQ-9 score',
  gad7: 'GAD-7 score',
  sickness_absence_days: 'sickness absence days',
};

function measureFields(prefix: string, form: Form, errors: readonly FieldError[], area: AreaSettings): SafeHtml {
  return html`${area.support.measures.map((m) =>
    textInput({
      name: `${prefix}.${m}`,
      label: humanise(measureLabel[m]),
      hint: `${measureRanges[m].min} to ${measureRanges[m].max}`,
      value: field(form, `${prefix}.${m}`),
      error: errorFor(errors, `${prefix}.${m}`),
      inputmode: 'numeric',
      widthClass: 'govuk-input--width-3',
    }),
  )}`;
}

function readMeasures(prefix: string, form: Form, area: AreaSettings, errors: FieldError[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of area.support.measures) {
    const value = wholeNumber(form, `${prefix}.${m}`, `the ${measureLabel[m]}`, measureRanges[m], errors, true);
    if (value !== undefined) out[m] = value;
  }
  return out;
}

function dateField(form: Form, name: string, legend: string, errors: readonly FieldError[], hint?: string): SafeHtml {
  return dateInput({
    name,
    legend,
    ...(hint ? { hint } : {}),
    value: { day: field(form, `${name}-day`), month: field(form, `${name}-month`), year: field(form, `${name}-year`) },
    error: errorFor(errors, name),
  });
}

function readDateField(form: Form, name: string, what: string, today: string, errors: FieldError[]): string | undefined {
  const check = readDate({ day: text(form, `${name}-day`), month: text(form, `${name}-month`), year: text(form, `${name}-year`) }, what, today);
  if (check.ok) return check.iso;
  errors.push({ field: name, target: `${name}-day`, message: check.message });
  return undefined;
}

const contactOutcomes = ['engaged', 'declined', 'unable_to_contact'] as const;
const contactChannels = ['phone', 'video', 'in_person', 'email', 'sms', 'letter'] as const;
const reviewOutcomes = ['eligible', 'not_eligible'] as const;
const reviewReasons = ['meets_criteria', 'exception_agreed', 'outside_criteria', 'needs_other_service', 'risk_too_high'] as const;
const adjustments = ['flexible_working', 'phased_return', 'adjusted_duties', 'adaptive_technology', 'workstation_assessment', 'time_off_for_appointments', 'other'] as const;
const employmentStatuses = ['employed_at_work', 'employed_off_sick', 'self_employed', 'unemployed'] as const;
const progressValues = ['improving', 'no_change', 'worse'] as const;
const decisions = ['continue', 'discharge_early', 'extend'] as const;
const dischargeReasons = ['support_completed', 'goals_met', 'early_discharge', 'disengaged', 'moved_away', 'other'] as const;
const resolutions = ['provider_responded', 'referred_elsewhere', 'no_longer_needed', 'gave_up'] as const;

export const taskForms: Record<TaskType, TaskForm> = {
  first_contact: {
    title: 'Record first contact',
    fields: (form, errors) => html`
      ${radios({ name: 'outcome', legend: 'What happened?', items: [
        { value: 'engaged', text: 'Spoke to them and they want support' },
        { value: 'declined', text: 'Spoke to them and they do not want support' },
        { value: 'unable_to_contact', text: 'Could not reach them' },
      ], value: text(form, 'outcome'), error: errorFor(errors, 'outcome') })}
      ${radios({ name: 'channel', legend: 'How did you try to contact them?', items: items(contactChannels), value: text(form, 'channel'), error: errorFor(errors, 'channel') })}
      ${dateField(form, 'contactedOn', 'Date of contact', errors, 'For example, 5 1 2026')}
      ${textInput({ name: 'contactedTime', label: 'Time of contact', hint: '24-hour clock, for example 14:30', value: field(form, 'contactedTime'), error: errorFor(errors, 'contactedTime'), widthClass: 'govuk-input--width-5' })}
      ${noteField(form, errors)}`,
    read: (form, area, today) => {
      const errors: FieldError[] = [];
      const outcome = choice(form, 'outcome', contactOutcomes, 'Select what happened', errors);
      const channel = choice(form, 'channel', contactChannels, 'Select how you tried to contact them', errors);
      const day = readDateField(form, 'contactedOn', 'Date of contact', today, errors);
      const time = text(form, 'contactedTime');
      const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time);
      if (!match) errors.push({ field: 'contactedTime', message: time ? 'Enter a time on the 24-hour clock, like 14:30' : 'Enter the time of contact' });
      const contactedAt = day && match ? localTimeToIso(day, `${match[1]!.padStart(2, '0')}:${match[2]}`, area.timeZone) : undefined;
      return { result: { outcome, channel, contactedAt, ...optionalNote(form, errors) }, errors };
    },
  },
  needs_review: {
    title: 'Review eligibility',
    fields: (form, errors) => html`
      ${radios({ name: 'outcome', legend: 'Is the person eligible?', items: items(reviewOutcomes), value: text(form, 'outcome'), error: errorFor(errors, 'outcome') })}
      ${radios({ name: 'reason', legend: 'Reason', items: items(reviewReasons), value: text(form, 'reason'), error: errorFor(errors, 'reason') })}
      ${noteField(form, errors)}`,
    read: (form) => {
      const errors: FieldError[] = [];
      const outcome = choice(form, 'outcome', reviewOutcomes, 'Select whether the person is eligible', errors);
      const reason = choice(form, 'reason', reviewReasons, 'Select a reason', errors);
      return { result: { outcome, reason, ...optionalNote(form, errors) }, errors };
    },
  },
  assessment: {
    title: 'Record assessment and plan',
    fields: (form, errors, area) => html`
      <h2 class="govuk-heading-m">Barriers</h2>
      ${checkboxes({ name: 'barriers.health', legend: 'Health barriers', items: items(barrierCategories.health), values: values(form, 'barriers.health') })}
      ${checkboxes({ name: 'barriers.social', legend: 'Social barriers', items: items(barrierCategories.social), values: values(form, 'barriers.social') })}
      ${checkboxes({ name: 'barriers.workplace', legend: 'Workplace barriers', items: items(barrierCategories.workplace), values: values(form, 'barriers.workplace') })}
      <h2 class="govuk-heading-m">Plan</h2>
      ${textarea({ name: 'goals', label: 'Goals', hint: 'One goal on each line, up to 10.', value: field(form, 'goals'), error: errorFor(errors, 'goals'), rows: 4 })}
      ${textarea({ name: 'participantActions', label: 'Actions for the participant (optional)', hint: 'One action on each line.', value: field(form, 'participantActions'), error: errorFor(errors, 'participantActions'), rows: 3 })}
      ${textarea({ name: 'coachActions', label: 'Actions for the coach (optional)', hint: 'One action on each line.', value: field(form, 'coachActions'), error: errorFor(errors, 'coachActions'), rows: 3 })}
      ${checkboxes({ name: 'workplaceAdjustments', legend: 'Workplace adjustments to discuss (optional)', items: items(adjustments), values: values(form, 'workplaceAdjustments') })}
      ${radios({ name: 'employerConversation', legend: 'Will the coach talk to the employer?', items: yesNo, value: text(form, 'employerConversation'), error: errorFor(errors, 'employerConversation'), inline: true })}
      ${radios({ name: 'employmentStatus', legend: 'Employment status now', items: items(employmentStatuses), value: text(form, 'employmentStatus'), error: errorFor(errors, 'employmentStatus') })}
      <h2 class="govuk-heading-m">Baseline measures</h2>
      ${measureFields('baseline', form, errors, area)}
      <h2 class="govuk-heading-m">Onward referrals</h2>
      ${checkboxes({
        name: 'onwardReferrals',
        legend: 'Refer to local services (optional)',
        hint: 'Up to 5. Each service gets a referral.',
        items: area.services.filter((s) => s.status === 'active').map((s) => ({ value: s.id, text: s.name })),
        values: values(form, 'onwardReferrals'),
        error: errorFor(errors, 'onwardReferrals'),
      })}`,
    read: (form, area) => {
      const errors: FieldError[] = [];
      const goals = lines(form, 'goals');
      if (goals.length === 0) errors.push({ field: 'goals', message: 'Enter at least one goal' });
      if (goals.length > 10) errors.push({ field: 'goals', message: 'Enter 10 goals or fewer' });
      if (goals.some((g) => g.length > 300)) errors.push({ field: 'goals', message: 'Each goal must be 300 characters or fewer' });
      const actions = [
        ...lines(form, 'participantActions').map((description) => ({ description, owner: 'participant' })),
        ...lines(form, 'coachActions').map((description) => ({ description, owner: 'coach' })),
      ];
      if (actions.length > 20) errors.push({ field: 'participantActions', message: 'Enter 20 actions or fewer' });
      if (actions.some((a) => a.description.length > 300)) errors.push({ field: 'participantActions', message: 'Each action must be 300 characters or fewer' });
      const employerConversation = choice(form, 'employerConversation', ['yes', 'no'] as const, 'Select whether the coach will talk to the employer', errors);
      const employmentStatus = choice(form, 'employmentStatus', employmentStatuses, 'Select the employment status now', errors);
      const services = area.services.map((s) => s.id);
      const onwardReferrals = chosen(form, 'onwardReferrals', services);
      if (onwardReferrals.length > 5) errors.push({ field: 'onwardReferrals', message: 'Select 5 services or fewer' });
      return {
        result: {
          barriers: {
            health: chosen(form, 'barriers.health', barrierCategories.health),
            social: chosen(form, 'barriers.social', barrierCategories.social),
            workplace: chosen(form, 'barriers.workplace', barrierCategories.workplace),
          },
          goals,
          actions,
          workplaceAdjustments: chosen(form, 'workplaceAdjustments', adjustments),
          employerConversation: employerConversation === 'yes',
          baseline: readMeasures('baseline', form, area, errors),
          employmentStatus,
          onwardReferrals,
        },
        errors,
      };
    },
  },
  follow_up: {
    title: 'Record follow-up',
    fields: (form, errors, area) => html`
      ${radios({ name: 'progress', legend: 'Progress since the last contact', items: items(progressValues), value: text(form, 'progress'), error: errorFor(errors, 'progress') })}
      <h2 class="govuk-heading-m">Measures</h2>
      ${measureFields('measures', form, errors, area)}
      ${radios({ name: 'planChanged', legend: 'Has the plan changed?', items: yesNo, value: text(form, 'planChanged'), error: errorFor(errors, 'planChanged'), inline: true })}
      ${radios({ name: 'decision', legend: 'What next?', items: items(decisions), value: text(form, 'decision'), error: errorFor(errors, 'decision') })}
      ${textInput({ name: 'extendWeeks', label: 'Extend by how many weeks? (only when extending)', value: field(form, 'extendWeeks'), error: errorFor(errors, 'extendWeeks'), inputmode: 'numeric', widthClass: 'govuk-input--width-3' })}
      ${noteField(form, errors)}`,
    read: (form, area) => {
      const errors: FieldError[] = [];
      const progress = choice(form, 'progress', progressValues, 'Select the progress since the last contact', errors);
      const planChanged = choice(form, 'planChanged', ['yes', 'no'] as const, 'Select whether the plan has changed', errors);
      const decision = choice(form, 'decision', decisions, 'Select what happens next', errors);
      const extendWeeks = wholeNumber(form, 'extendWeeks', 'the number of weeks to extend by', { min: 1, max: 26 }, errors, decision === 'extend');
      return {
        result: {
          progress,
          measures: readMeasures('measures', form, area, errors),
          planChanged: planChanged === 'yes',
          decision,
          ...(decision === 'extend' && extendWeeks !== undefined ? { extendWeeks } : {}),
          ...optionalNote(form, errors),
        },
        errors,
      };
    },
  },
  outcome: {
    title: 'Record outcome',
    fields: (form, errors, area) => html`
      ${radios({ name: 'employmentOutcome', legend: 'Employment outcome', items: items(employmentOutcomes), value: text(form, 'employmentOutcome'), error: errorFor(errors, 'employmentOutcome') })}
      ${dateField(form, 'outcomeDate', 'Date of the outcome', errors)}
      <h2 class="govuk-heading-m">End measures</h2>
      ${measureFields('endMeasures', form, errors, area)}
      ${radios({ name: 'dischargeReason', legend: 'Reason for discharge', items: items(dischargeReasons), value: text(form, 'dischargeReason'), error: errorFor(errors, 'dischargeReason') })}
      ${noteField(form, errors)}`,
    read: (form, area, today) => {
      const errors: FieldError[] = [];
      const employmentOutcome = choice(form, 'employmentOutcome', employmentOutcomes, 'Select the employment outcome', errors);
      const outcomeDate = readDateField(form, 'outcomeDate', 'Date of the outcome', today, errors);
      const dischargeReason = choice(form, 'dischargeReason', dischargeReasons, 'Select the reason for discharge', errors);
      return {
        result: { employmentOutcome, outcomeDate, endMeasures: readMeasures('endMeasures', form, area, errors), dischargeReason, ...optionalNote(form, errors) },
        errors,
      };
    },
  },
  provider_chase: {
    title: 'Resolve an onward referral with no answer',
    fields: (form, errors) => html`
      ${radios({ name: 'resolution', legend: 'What happened?', items: items(resolutions), value: text(form, 'resolution'), error: errorFor(errors, 'resolution') })}
      ${noteField(form, errors)}`,
    read: (form) => {
      const errors: FieldError[] = [];
      const resolution = choice(form, 'resolution', resolutions, 'Select what happened', errors);
      return { result: { resolution, ...optionalNote(form, errors) }, errors };
    },
  },
};

/** A wall-clock date and time in `timeZone` as an ISO instant with its offset. */
export function localTimeToIso(date: string, time: string, timeZone: string): string {
  const guess = new Date(`${date}T${time}:00Z`);
  const offsetMinutes = (at: Date) => {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at);
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
  };
  const instant = new Date(guess.getTime() - offsetMinutes(guess) * 60_000);
  return instant.toISOString();
}

/** A completeTask error pointer (`/baseline/wsas`) as this form's field name (`baseline.wsas`). */
export function fieldOfPointer(pointer: string): string {
  return pointer.replace(/^\//, '').split('/').filter((p) => !/^\d+$/.test(p)).join('.') || 'form';
}
