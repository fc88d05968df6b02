import { z } from 'zod';
import type { AreaSettings, ConditionCategory, WorkSituation } from '../../../areas/schema.ts';
import { conditionCategories, workSituations } from '../../../areas/schema.ts';
import { ReferralSchema } from '../../domain/referral.ts';
import { dateOfBirthProblem } from '../../domain/intake-rules.ts';
import { checkboxes, dateInput, type FieldError, errorFor, insetText, radios, textarea, textInput } from '../components.ts';
import { formatDate, readDate } from '../date-field.ts';
import { html, type SafeHtml } from '../html.ts';
import { field } from '../http.ts';
import { ANSWER_MAX_LENGTH, type Answers, contactMethods, HEALTH_DETAILS_MAX, type SupportNeed, supportNeeds } from './answers.ts';

/**
 * The questions of the self-referral form, one per page: each reads and validates its own
 * fields (server side, with GOV.UK error messages) and shows them again. Validation uses the
 * referral schema's own field rules wherever the referral has them.
 *
 * Every answer triage can rule someone out on comes first (where they live or their GP
 * practice, age, work situation and when they last worked, other significant needs), so a
 * person who is not eligible is signposted before giving any more personal or health details.
 */
export interface QuestionContext {
  readonly area: AreaSettings;
  /** Today in the area's time zone, YYYY-MM-DD. */
  readonly today: string;
}

export interface Question {
  readonly slug: string;
  /** The page title (and, on most pages, the question as its heading). */
  readonly title: string;
  /** Eligibility questions are checked against the area's rules as soon as they are answered. */
  readonly eligibility?: boolean;
  /** Whether the question is asked, given the answers so far and the area's settings. */
  applies(answers: Answers, area: AreaSettings): boolean;
  /** The answer as submitted (kept even when invalid, to show it back) and what is wrong with it. */
  read(form: Record<string, string[]>, context: QuestionContext): { values: Partial<Answers>; errors: FieldError[] };
  fields(answers: Answers, errors: readonly FieldError[], context: QuestionContext): SafeHtml;
  /** Rows of the check-your-answers page. */
  summary(answers: Answers): { key: string; value: string | SafeHtml }[];
  /** The error shown when the answer is too long to keep in the form session (see answers.ts). */
  readonly tooLong: FieldError;
}

const participant = ReferralSchema.shape.participant.shape;
const always = () => true;
const yesNo = [
  { value: 'yes', text: 'Yes' },
  { value: 'no', text: 'No' },
];

export const situationText: Record<WorkSituation, string> = {
  in_work_struggling: 'I am in work but my health is making work difficult',
  on_sick_leave: 'I am off work sick',
  at_risk_of_losing_work: 'I am at risk of losing my job because of my health',
  out_of_work: 'I am out of work and want to get back into work',
};

export const conditionText: Record<ConditionCategory, string> = {
  mental_health: 'Mental health, such as anxiety, depression or stress',
  musculoskeletal: 'Muscles, bones or joints, such as back pain or arthritis',
  long_term_condition: 'A long-term condition, such as diabetes, heart or lung disease',
  neurological: 'A neurological condition, such as epilepsy, migraine or MS',
  sensory: 'Sight or hearing',
  learning_disability: 'A learning disability or difficulty',
  other: 'Something else',
};

export const supportText: Record<SupportNeed, string> = {
  workplace_adjustments: 'Changes at work, such as different hours or equipment',
  employer_conversation: 'Help talking to my employer',
  return_to_work_plan: 'A plan to return to work',
  physiotherapy: 'Physiotherapy',
  talking_therapy: 'Talking therapy or counselling',
  employment_advice: 'Advice about finding work',
  debt_or_welfare_advice: 'Advice about money, debt or benefits',
  other: 'Something else',
};

export const contactText: Record<(typeof contactMethods)[number], string> = {
  email: 'Email',
  phone: 'Phone call',
  sms: 'Text message',
};

function dateFrom(form: Record<string, string[]>, name: string) {
  return { day: field(form, `${name}-day`).trim(), month: field(form, `${name}-month`).trim(), year: field(form, `${name}-year`).trim() };
}

const trimmed = (form: Record<string, string[]>, name: string) => field(form, name).trim();

/** A choice cannot be too long itself: the answers before it, taken together, are. */
const tooManyAnswers = (name: string, target?: string): FieldError => ({
  field: name,
  ...(target ? { target } : {}),
  message: 'Your answers are too long to keep. Go back and shorten a long answer, like how your health affects your work',
});

/** A text answer checked by a referral field schema; the first failing message wins. */
function checkText(value: string, name: string, empty: string, schema: z.ZodType, invalid: string, max?: { length: number; message: string }): FieldError[] {
  if (!value) return [{ field: name, message: empty }];
  if (max && value.length > max.length) return [{ field: name, message: max.message }];
  return schema.safeParse(value).success ? [] : [{ field: name, message: invalid }];
}

export const questions: readonly Question[] = [
  {
    slug: 'postcode',
    title: 'What is your postcode?',
    eligibility: true,
    applies: always,
    read: (form) => {
      const postcode = trimmed(form, 'postcode');
      return {
        values: { postcode },
        errors: checkText(postcode, 'postcode', 'Enter your postcode', participant.postcode, 'Enter a full UK postcode, like S1 2HE', { length: ANSWER_MAX_LENGTH.postcode, message: 'Enter a full UK postcode, like S1 2HE' }),
      };
    },
    fields: (a, errors) =>
      textInput({
        name: 'postcode',
        label: 'What is your postcode?',
        hint: 'The postcode where you live. For example, S1 2HE',
        value: a.postcode ?? '',
        error: errorFor(errors, 'postcode'),
        isPageHeading: true,
        autocomplete: 'postal-code',
        widthClass: 'govuk-input--width-10',
        spellcheck: false,
      }),
    summary: (a) => [{ key: 'Postcode', value: a.postcode ?? '' }],
    tooLong: { field: 'postcode', message: 'Postcode is too long' },
  },
  {
    // Areas that also serve people registered with a local GP practice, wherever they live: ask
    // (optionally) before triage can turn someone away for their postcode alone.
    slug: 'gp-practice',
    title: 'What is your GP practice code? (optional)',
    eligibility: true,
    applies: (_a, area) => area.eligibility.gpPracticeCodes.length > 0,
    read: (form) => {
      const gpPracticeCode = trimmed(form, 'gpPracticeCode').replace(/\s+/g, '').toUpperCase();
      const invalid = 'Enter a GP practice code of 1 letter and 5 numbers, like C88001, or leave it empty';
      return {
        values: { gpPracticeCode },
        errors: gpPracticeCode
          ? checkText(gpPracticeCode, 'gpPracticeCode', invalid, participant.gpPracticeCode.unwrap(), invalid, { length: ANSWER_MAX_LENGTH.gpPracticeCode, message: invalid })
          : [],
      };
    },
    fields: (a, errors, { area }) =>
      textInput({
        name: 'gpPracticeCode',
        label: 'What is your GP practice code? (optional)',
        hint: `If you live outside ${area.name} but are registered with a GP practice in it, WorkWell can still help you. The code is 1 letter and 5 numbers, like C88001: your GP practice can tell you it. Leave this empty if you do not know it.`,
        value: a.gpPracticeCode ?? '',
        error: errorFor(errors, 'gpPracticeCode'),
        isPageHeading: true,
        widthClass: 'govuk-input--width-10',
        spellcheck: false,
      }),
    summary: (a) => [{ key: 'GP practice code', value: a.gpPracticeCode || 'Not given' }],
    tooLong: { field: 'gpPracticeCode', message: 'GP practice code is too long' },
  },
  {
    slug: 'date-of-birth',
    title: 'What is your date of birth?',
    eligibility: true,
    applies: always,
    read: (form, { today, area }) => {
      const dateOfBirth = dateFrom(form, 'dateOfBirth');
      const check = readDate(dateOfBirth, 'Date of birth', today);
      // Intake's own check, so an implausible date is put right here, never refused after sending.
      const implausible = check.ok ? dateOfBirthProblem(check.iso, today, area.intake.maxPlausibleAge) : undefined;
      const message = check.ok ? (implausible ? `Date of birth ${implausible}` : undefined) : check.message;
      return { values: { dateOfBirth }, errors: message ? [{ field: 'dateOfBirth', target: 'dateOfBirth-day', message }] : [] };
    },
    fields: (a, errors) =>
      dateInput({
        name: 'dateOfBirth',
        legend: 'What is your date of birth?',
        hint: 'For example, 27 3 1985',
        value: a.dateOfBirth ?? {},
        error: errorFor(errors, 'dateOfBirth'),
        isPageHeading: true,
        autocompletePrefix: 'bday',
      }),
    summary: (a) => [{ key: 'Date of birth', value: isoOf(a.dateOfBirth) ? formatDate(isoOf(a.dateOfBirth)!) : '' }],
    tooLong: tooManyAnswers('dateOfBirth', 'dateOfBirth-day'),
  },
  {
    slug: 'work-situation',
    title: 'Which of these best describes your situation?',
    eligibility: true,
    applies: always,
    read: (form) => {
      const value = trimmed(form, 'situation');
      const ok = (workSituations as readonly string[]).includes(value);
      return {
        values: ok ? { situation: value as WorkSituation } : {},
        errors: ok ? [] : [{ field: 'situation', message: 'Select the option that best describes your situation' }],
      };
    },
    fields: (a, errors) =>
      radios({
        name: 'situation',
        legend: 'Which of these best describes your situation?',
        items: workSituations.map((s) => ({ value: s, text: situationText[s] })),
        ...(a.situation ? { value: a.situation } : {}),
        error: errorFor(errors, 'situation'),
        isPageHeading: true,
      }),
    summary: (a) => [{ key: 'Your situation', value: a.situation ? situationText[a.situation] : '' }],
    tooLong: tooManyAnswers('situation'),
  },
  {
    slug: 'last-worked',
    title: 'When did you last work?',
    eligibility: true,
    applies: (a) => a.situation === 'out_of_work',
    read: (form, { today }) => {
      const lastWorked = dateFrom(form, 'lastWorked');
      const check = readDate(lastWorked, 'The date you last worked', today);
      return { values: { lastWorked }, errors: check.ok ? [] : [{ field: 'lastWorked', target: 'lastWorked-day', message: check.message }] };
    },
    fields: (a, errors) =>
      dateInput({
        name: 'lastWorked',
        legend: 'When did you last work?',
        hint: 'Your last day of paid work. For example, 14 11 2025. If you are not sure, give an approximate date.',
        value: a.lastWorked ?? {},
        error: errorFor(errors, 'lastWorked'),
        isPageHeading: true,
      }),
    summary: (a) => [{ key: 'Last worked', value: isoOf(a.lastWorked) ? formatDate(isoOf(a.lastWorked)!) : '' }],
    tooLong: tooManyAnswers('lastWorked', 'lastWorked-day'),
  },
  {
    slug: 'other-needs',
    title: 'Do you have other significant needs that affect your day-to-day life?',
    // Complex needs can rule someone out (the area's exclusions.complexNeeds): asked up front.
    eligibility: true,
    applies: always,
    read: (form) => {
      const value = trimmed(form, 'otherNeeds');
      const ok = value === 'yes' || value === 'no';
      return {
        values: ok ? { otherNeeds: value } : {},
        errors: ok ? [] : [{ field: 'otherNeeds', message: 'Select yes if you have other significant needs' }],
      };
    },
    fields: (a, errors) => html`${radios({
      name: 'otherNeeds',
      legend: 'Do you have other significant needs that affect your day-to-day life?',
      hint: 'For example, problems with housing, drug or alcohol use, or support from social services.',
      items: yesNo,
      ...(a.otherNeeds ? { value: a.otherNeeds } : {}),
      error: errorFor(errors, 'otherNeeds'),
      isPageHeading: true,
      inline: true,
    })}${insetText(html`If you need help urgently, call NHS 111. If your life is at risk, call 999.`)}`,
    summary: (a) => [{ key: 'Other significant needs', value: a.otherNeeds === 'yes' ? 'Yes' : a.otherNeeds === 'no' ? 'No' : '' }],
    tooLong: tooManyAnswers('otherNeeds'),
  },
  {
    slug: 'name',
    title: 'What is your name?',
    applies: always,
    read: (form) => {
      const givenName = trimmed(form, 'givenName');
      const familyName = trimmed(form, 'familyName');
      const tooLong = (what: string) => ({ length: ANSWER_MAX_LENGTH.name, message: `${what} must be ${ANSWER_MAX_LENGTH.name} characters or fewer` });
      return {
        values: { givenName, familyName },
        errors: [
          ...checkText(givenName, 'givenName', 'Enter your first name', participant.givenName, 'Enter your first name', tooLong('First name')),
          ...checkText(familyName, 'familyName', 'Enter your last name', participant.familyName, 'Enter your last name', tooLong('Last name')),
        ],
      };
    },
    fields: (a, errors) => html`<h1 class="govuk-heading-l">What is your name?</h1>
      ${textInput({ name: 'givenName', label: 'First name', value: a.givenName ?? '', error: errorFor(errors, 'givenName'), autocomplete: 'given-name', spellcheck: false })}
      ${textInput({ name: 'familyName', label: 'Last name', value: a.familyName ?? '', error: errorFor(errors, 'familyName'), autocomplete: 'family-name', spellcheck: false })}`,
    summary: (a) => [{ key: 'Name', value: `${a.givenName ?? ''} ${a.familyName ?? ''}`.trim() }],
    tooLong: { field: 'givenName', message: 'Your name is too long' },
  },
  {
    slug: 'contact-method',
    title: 'How would you like us to contact you?',
    applies: always,
    read: (form) => {
      const value = trimmed(form, 'contactMethod');
      const ok = (contactMethods as readonly string[]).includes(value);
      return {
        values: ok ? { contactMethod: value as Answers['contactMethod'] } : {},
        errors: ok ? [] : [{ field: 'contactMethod', message: 'Select how you would like us to contact you' }],
      };
    },
    fields: (a, errors) =>
      radios({
        name: 'contactMethod',
        legend: 'How would you like us to contact you?',
        hint: 'A Work and Health Coach will get in touch to talk about support.',
        items: contactMethods.map((m) => ({ value: m, text: contactText[m] })),
        ...(a.contactMethod ? { value: a.contactMethod } : {}),
        error: errorFor(errors, 'contactMethod'),
        isPageHeading: true,
      }),
    summary: (a) => [{ key: 'Contact by', value: a.contactMethod ? contactText[a.contactMethod] : '' }],
    tooLong: tooManyAnswers('contactMethod'),
  },
  {
    slug: 'email',
    title: 'What is your email address?',
    applies: (a) => a.contactMethod === 'email',
    read: (form) => {
      const email = trimmed(form, 'email');
      return {
        values: { email },
        errors: checkText(email, 'email', 'Enter your email address', participant.email.unwrap(), 'Enter an email address in the correct format, like name@example.com', { length: ANSWER_MAX_LENGTH.email, message: `Email address must be ${ANSWER_MAX_LENGTH.email} characters or fewer` }),
      };
    },
    fields: (a, errors) =>
      textInput({ name: 'email', label: 'What is your email address?', value: a.email ?? '', error: errorFor(errors, 'email'), isPageHeading: true, type: 'email', autocomplete: 'email', spellcheck: false }),
    summary: (a) => [{ key: 'Email address', value: a.email ?? '' }],
    tooLong: { field: 'email', message: 'Email address is too long' },
  },
  {
    slug: 'phone',
    title: 'What is your phone number?',
    applies: (a) => a.contactMethod === 'phone' || a.contactMethod === 'sms',
    read: (form) => {
      const phone = trimmed(form, 'phone');
      return {
        values: { phone },
        errors: checkText(phone, 'phone', 'Enter your phone number', participant.phone.unwrap(), 'Enter a UK phone number, like 07700 900 982', { length: ANSWER_MAX_LENGTH.phone, message: 'Enter a UK phone number, like 07700 900 982' }),
      };
    },
    fields: (a, errors) =>
      textInput({ name: 'phone', label: 'What is your phone number?', hint: 'For example, 07700 900 982', value: a.phone ?? '', error: errorFor(errors, 'phone'), isPageHeading: true, type: 'tel', autocomplete: 'tel', widthClass: 'govuk-input--width-20' }),
    summary: (a) => [{ key: 'Phone number', value: a.phone ?? '' }],
    tooLong: { field: 'phone', message: 'Phone number is too long' },
  },
  {
    slug: 'conditions',
    title: 'What health conditions affect your work?',
    applies: always,
    read: (form) => {
      const chosen = (form.conditions ?? []).filter((c): c is ConditionCategory => (conditionCategories as readonly string[]).includes(c));
      const conditions = [...new Set(chosen)];
      return { values: { conditions }, errors: conditions.length ? [] : [{ field: 'conditions', message: 'Select at least one health condition, or select something else' }] };
    },
    fields: (a, errors) =>
      checkboxes({
        name: 'conditions',
        legend: 'What health conditions affect your work?',
        hint: 'Select all that apply.',
        items: conditionCategories.map((c) => ({ value: c, text: conditionText[c] })),
        values: a.conditions ?? [],
        error: errorFor(errors, 'conditions'),
        isPageHeading: true,
      }),
    summary: (a) => [{ key: 'Health conditions', value: html`${(a.conditions ?? []).map((c, i) => html`${i ? html`<br>` : ''}${conditionText[c]}`)}` }],
    tooLong: tooManyAnswers('conditions'),
  },
  {
    slug: 'health-details',
    title: 'Tell us how your health affects your work (optional)',
    applies: always,
    read: (form) => {
      const healthDetails = field(form, 'healthDetails').trim();
      return {
        values: { healthDetails: healthDetails.slice(0, HEALTH_DETAILS_MAX) },
        errors: healthDetails.length > HEALTH_DETAILS_MAX ? [{ field: 'healthDetails', message: `Your answer must be ${HEALTH_DETAILS_MAX.toLocaleString('en-GB')} characters or fewer` }] : [],
      };
    },
    fields: (a, errors) =>
      textarea({
        name: 'healthDetails',
        label: 'Tell us how your health affects your work (optional)',
        hint: `Only your coach will read this. Do not include anything you would not want them to know. Up to ${HEALTH_DETAILS_MAX.toLocaleString('en-GB')} characters.`,
        value: a.healthDetails ?? '',
        error: errorFor(errors, 'healthDetails'),
        isPageHeading: true,
      }),
    summary: (a) => [{ key: 'How your health affects your work', value: a.healthDetails || 'Not given' }],
    // Within the character limit, text in a script of 3 bytes a character can still outgrow the cookie.
    tooLong: { field: 'healthDetails', message: 'How your health affects your work is too long. Make it shorter' },
  },
  {
    slug: 'support',
    title: 'What support do you think would help you? (optional)',
    applies: always,
    read: (form) => {
      const support = [...new Set((form.support ?? []).filter((s): s is SupportNeed => (supportNeeds as readonly string[]).includes(s)))];
      return { values: { support }, errors: [] };
    },
    fields: (a, errors) =>
      checkboxes({
        name: 'support',
        legend: 'What support do you think would help you? (optional)',
        hint: 'Select all that apply. Your coach will talk this through with you.',
        items: supportNeeds.map((s) => ({ value: s, text: supportText[s] })),
        values: a.support ?? [],
        error: errorFor(errors, 'support'),
        isPageHeading: true,
      }),
    summary: (a) => [{ key: 'Support that would help', value: a.support?.length ? html`${a.support.map((s, i) => html`${i ? html`<br>` : ''}${supportText[s]}`)}` : 'Not given' }],
    tooLong: tooManyAnswers('support'),
  },
  {
    slug: 'consent',
    title: 'Agree to your referral',
    applies: always,
    read: (form) => {
      const consent = form.consent?.includes('yes') ? ('yes' as const) : undefined;
      const evaluation = trimmed(form, 'evaluationContact');
      const evaluationOk = evaluation === 'yes' || evaluation === 'no';
      return {
        values: { ...(consent ? { consent } : {}), ...(evaluationOk ? { evaluationContact: evaluation } : {}) },
        errors: [
          ...(consent ? [] : [{ field: 'consent', message: 'Select that you agree to be referred to WorkWell' }]),
          ...(evaluationOk ? [] : [{ field: 'evaluationContact', message: 'Select yes if we can contact you about research into the service' }]),
        ],
      };
    },
    fields: (a, errors, { area }) => html`<h1 class="govuk-heading-l">Agree to your referral</h1>
      <p class="govuk-body">WorkWell ${area.name} will keep your details to give you support, for ${area.retentionYears} years after your support ends. Your Work and Health Coach and their team lead will see them.</p>
      ${checkboxes({
        name: 'consent',
        legend: 'Do you agree to be referred?',
        items: [{ value: 'yes', text: 'I agree to be referred to WorkWell and for my coach to see the details I have given' }],
        values: a.consent ? ['yes'] : [],
        error: errorFor(errors, 'consent'),
      })}
      ${radios({
        name: 'evaluationContact',
        legend: 'Can researchers contact you about what you thought of the service?',
        hint: 'This does not affect your support.',
        items: yesNo,
        ...(a.evaluationContact ? { value: a.evaluationContact } : {}),
        error: errorFor(errors, 'evaluationContact'),
        inline: true,
      })}`,
    summary: (a) => [
      { key: 'Agreed to be referred', value: a.consent === 'yes' ? 'Yes' : 'No' },
      { key: 'Research contact', value: a.evaluationContact === 'yes' ? 'Yes' : a.evaluationContact === 'no' ? 'No' : '' },
    ],
    tooLong: tooManyAnswers('consent'),
  },
];

/** A typed date as ISO when it is a real date (answers were checked when given). */
export function isoOf(value: Answers['dateOfBirth']): string | undefined {
  if (!value) return undefined;
  const check = readDate(value, 'Date', '9999-12-31');
  return check.ok ? check.iso : undefined;
}

export function questionBySlug(slug: string): Question | undefined {
  return questions.find((q) => q.slug === slug);
}
