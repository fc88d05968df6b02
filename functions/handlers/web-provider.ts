import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { allowedProviderStatuses, providerReferralDetails, type ProviderStatus } from '../domain/onward-referral.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { getOnwardReferral, type OnwardReferral } from '../shared/onward-referral-store.ts';
import { answerOnwardReferral } from '../shared/provider-answer.ts';
import { checkProviderPageKey } from '../shared/provider-page-key.ts';
import { getReferral } from '../shared/referral-store.ts';
import { currentArea } from '../shared/workflow.ts';
import type { FieldError } from '../web/components.ts';
import { webErrors } from '../web/errors.ts';
import { field, htmlPage, readForm } from '../web/http.ts';
import { providerPaths } from '../web/paths.ts';
import { readProviderAnswer } from '../web/provider/answer-form.ts';
import { answerRecordedPage, linkProblemPage, onwardReferralPage, type ProviderLink } from '../web/provider/pages.ts';

/**
 * GET and POST /provider/onward-referrals/{id}: a provider reached by e-mail sees what it needs
 * to act on an onward referral and says what happened, with no account: the link's key opens
 * this one onward referral until it expires. Expired, forged or another onward referral's key:
 * an error page, nothing read or changed. The answer goes through answerOnwardReferral, as the
 * webhook's does. No cookie: the key travels with the form.
 */
const OnwardReferralId = z.uuid();

async function providerPage(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const id = OnwardReferralId.safeParse(event.pathParameters?.onwardReferralId);
  const path = id.success ? providerPaths.onwardReferral(id.data) : '/provider';
  const form = event.httpMethod === 'POST' ? readForm(event) : undefined;
  const link: ProviderLink = form
    ? { expires: field(form, 'expires'), key: field(form, 'key') }
    : { expires: event.queryStringParameters?.expires ?? '', key: event.queryStringParameters?.key ?? '' };
  const now = new Date();
  const check = id.success ? checkProviderPageKey(id.data, link.expires, link.key, now) : 'invalid';
  const onward = id.success && check === 'valid' ? await getOnwardReferral(id.data) : undefined;
  const referral = onward ? await getReferral(onward.referralId) : undefined;
  const service = onward ? currentArea().services.find((s) => s.id === onward.serviceId) : undefined;
  if (!onward || !referral || !service) {
    logSafe('info', 'provider page refused', { code: check, httpStatus: check === 'expired' ? 410 : 403 });
    return htmlPage(check === 'expired' ? 410 : 403, linkProblemPage(check === 'expired' ? 'expired' : 'invalid', path));
  }
  const view = (status: number, values = {}, errors: readonly FieldError[] = [], shown: OnwardReferral = onward) =>
    htmlPage(status, onwardReferralPage({ service, onward: shown, details: providerReferralDetails(referral.referral), link, next: allowedProviderStatuses(shown.status), values, errors }));
  if (event.httpMethod !== 'POST') {
    logSafe('info', 'provider page shown', { referralId: onward.referralId, code: onward.serviceId });
    return view(200);
  }

  const read = readProviderAnswer(form, allowedProviderStatuses(onward.status));
  if (!read.ok) return view(400, read.values, read.errors);
  const result = await answerOnwardReferral(onward, read.answer, now);
  if (result.outcome === 'not_allowed') {
    const errors = [{ field: 'status', message: 'This answer cannot follow what you told us before: choose another' }];
    return view(409, read.values, errors, result.onwardReferral);
  }
  return htmlPage(200, answerRecordedPage(service, onward.onwardReferralId, read.answer.status as ProviderStatus));
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(webErrors())
  .handler(providerPage);
