import { declineReasons, type ProviderAnswer, providerStatuses, type ProviderStatus } from '../../domain/onward-referral.ts';
import type { FieldError } from '../components.ts';
import { readDate } from '../date-field.ts';
import { field } from '../http.ts';
import type { ProviderFormValues } from './pages.ts';

export type ProviderAnswerRead =
  | { readonly ok: true; readonly answer: ProviderAnswer; readonly values: ProviderFormValues }
  | { readonly ok: false; readonly errors: FieldError[]; readonly values: ProviderFormValues };

/** The provider page's form as a provider answer, with GOV.UK error messages. */
export function readProviderAnswer(form: Record<string, string[]> | undefined, next: readonly ProviderStatus[]): ProviderAnswerRead {
  const get = (name: string) => (form ? field(form, name) : '');
  const appointment = { day: get('appointment-day'), month: get('appointment-month'), year: get('appointment-year') };
  const values: ProviderFormValues = { status: get('status'), reason: get('reason'), appointment };
  const errors: FieldError[] = [];
  const status = (providerStatuses as readonly string[]).includes(values.status!) && next.includes(values.status as ProviderStatus) ? (values.status as ProviderStatus) : undefined;
  if (!status) errors.push({ field: 'status', message: 'Select what has happened' });
  const reason = declineReasons.find((r) => r === values.reason);
  if (status === 'declined' && !reason) errors.push({ field: 'reason', message: 'Select why you declined' });
  let firstAppointmentOn: string | undefined;
  const hasDate = Boolean(appointment.day || appointment.month || appointment.year);
  if (status === 'accepted' && hasDate) {
    // An appointment may be in the future: no "today or in the past" limit.
    const date = readDate(appointment, 'The date of the first appointment', '9999-12-31');
    if (date.ok) firstAppointmentOn = date.iso;
    else errors.push({ field: 'appointment', message: date.message, target: 'appointment-day' });
  }
  if (errors.length || !status) return { ok: false, errors, values };
  return {
    ok: true,
    values,
    answer: { status, ...(status === 'declined' && reason ? { reason } : {}), ...(firstAppointmentOn ? { firstAppointmentOn } : {}) },
  };
}
