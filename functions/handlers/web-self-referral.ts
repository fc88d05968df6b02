import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { acceptReferral, canonicalHash } from '../shared/intake-service.ts';
import { familyMetric } from '../shared/metric-catalogue.ts';
import { countMetric, logSafe, observed } from '../shared/observability.ts';
import { currentArea, dateInTimeZone } from '../shared/workflow.ts';
import { validCsrf, csrfToken, CSRF_FIELD } from '../web/csrf.ts';
import { webErrors } from '../web/errors.ts';
import { field, htmlPage, readForm, redirect } from '../web/http.ts';
import { withinLimit, webRateLimits } from '../web/rate-limit.ts';
import { clearSessionCookie, newSession, readSession, type Session, sessionCookie, sessionKey } from '../web/session.ts';
import { type Answers, formSessionCookie, SelfReferralSession, selfReferralSession } from '../web/self-referral/answers.ts';
import {
  CHECK_ANSWERS,
  CONFIRMATION,
  eligibilitySoFar,
  isReachable,
  nextPage,
  NOT_ELIGIBLE,
  referralFrom,
  selfReferralPartner,
} from '../web/self-referral/flow.ts';
import {
  checkAnswersPage,
  confirmationPage,
  HONEYPOT_FIELD,
  notEligiblePage,
  pagePath,
  problemPage,
  questionPage,
  SELF_REFERRAL_PATH,
  startPage,
  timedOutPage,
} from '../web/self-referral/pages.ts';
import { questionBySlug, type QuestionContext } from '../web/self-referral/questions.ts';
import { INFO_PATH, infoPage, isInfoPage } from '../web/info-pages.ts';

/**
 * The self-referral form (GET and POST /self-referral/{page}): one question per page,
 * eligibility first, check your answers, confirmation with a reference. Answers live in the
 * person's encrypted form session until sent; sending goes through acceptReferral, the same
 * intake path (idempotency, one journey per person, journey start) as partners' referrals,
 * with source `self` and the area's self-referral service as the partner. Nothing of the
 * answers is logged: page names and codes only.
 */

type FormSession = Session<SelfReferralSession>;

function context(): QuestionContext {
  const area = currentArea();
  return { area, today: dateInTimeZone(new Date(), area.timeZone) };
}

/** The cookie keeping a session as it was read, or one small enough by construction. */
function keep(session: FormSession, data: SelfReferralSession = session.data): string {
  return sessionCookie(selfReferralSession, { ...session, data });
}

function show(statusCode: number, body: Parameters<typeof htmlPage>[1], session?: FormSession): APIGatewayProxyResult {
  return htmlPage(statusCode, body, session ? [keep(session)] : []);
}

async function showPage(slug: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const ctx = context();
  const { area } = ctx;
  const read = readSession(selfReferralSession, event);
  if (read.state === 'expired') return htmlPage(200, timedOutPage(area), [clearSessionCookie(selfReferralSession)]);
  const session = read.state === 'active' ? read.session : newSession<SelfReferralSession>({ answers: {} });
  const { answers, reference } = session.data;
  const csrf = csrfToken(session.id, sessionKey());

  if (slug === CONFIRMATION) {
    if (!reference) return redirect(SELF_REFERRAL_PATH);
    return show(200, confirmationPage(area, reference), session);
  }
  if (reference) return redirect(pagePath(CONFIRMATION), [keep(session)]);
  if (slug === NOT_ELIGIBLE) {
    const decision = eligibilitySoFar(answers, area, ctx.today);
    if (decision.outcome !== 'not_eligible') return redirect(pagePath(nextPage(answers, area)), [keep(session)]);
    return show(200, notEligiblePage(area, decision.signposting, pagePath('postcode')), session);
  }
  if (slug === CHECK_ANSWERS) {
    if (!isReachable(CHECK_ANSWERS, answers, area)) return redirect(pagePath(nextPage(answers, area)), [keep(session)]);
    return show(200, checkAnswersPage(area, answers, csrf), session);
  }
  const question = questionBySlug(slug);
  if (!question) return show(404, problemPage(area, 'Page not found', 'If you typed the web address, check it is correct.'));
  if (!isReachable(slug, answers, area)) return redirect(pagePath(nextPage(answers, area)), [keep(session)]);
  return show(200, questionPage(area, question, answers, [], csrf, ctx), session);
}

async function submitReferral(session: FormSession, event: APIGatewayProxyEvent, lambdaContext: Context): Promise<APIGatewayProxyResult> {
  const ctx = context();
  const { area } = ctx;
  const { answers } = session.data;
  const built = referralFrom(answers, area);
  if (!built.ok) return redirect(pagePath(nextPage(answers, area)), [keep(session)]);
  // Someone triage would close is signposted, and nothing stored (e.g. a birthday since they answered).
  const eligibility = eligibilitySoFar(answers, area, ctx.today);
  if (eligibility.outcome === 'not_eligible') {
    logSafe('info', 'self-referral not eligible', { code: eligibility.reason });
    return redirect(pagePath(NOT_ELIGIBLE), [keep(session)]);
  }
  const limited = await withinLimit(event, webRateLimits.selfReferralSubmissions);
  if (!limited.allowed) return tooMany(area, limited.retryAfterSeconds);
  const partner = selfReferralPartner(area);
  const outcome = await acceptReferral({
    referral: built.referral,
    // Its organisation type makes a match with another submission a new, linked referral, never
    // an answer with that submission's reference (intake's sameReferrerMatch).
    partner: { partnerId: partner.id, organisationType: partner.organisationType },
    // One form session sends one referral: a double click or a resend replays the first answer.
    idempotencyKey: `self-referral-${session.id}`,
    bodyHash: canonicalHash(built.referral),
    context: lambdaContext,
    confirmToPerson: true,
  });
  if (outcome.httpStatus !== 202) {
    logSafe('warn', 'self-referral not accepted', { httpStatus: outcome.httpStatus });
    return show(503, problemPage(area, 'Sorry, there is a problem with the service', 'Your referral has not been sent. Go back and try again in a few minutes.'), session);
  }
  countMetric(familyMetric('referralReceived', 'self'));
  logSafe('info', 'self-referral sent', { referralId: outcome.referralId, code: eligibility.outcome });
  // The answers are dropped from the browser: only the reference is kept, for the confirmation page.
  const sent: SelfReferralSession = { answers: {}, reference: outcome.reference ?? outcome.referralId };
  return redirect(pagePath(CONFIRMATION), [keep(session, sent)]);
}

function tooMany(area: ReturnType<typeof currentArea>, retryAfterSeconds: number): APIGatewayProxyResult {
  logSafe('info', 'self-referral rate limited', { httpStatus: 429 });
  return htmlPage(429, problemPage(area, 'Too many requests', 'Wait a minute, then go back and try again.'), [], { 'Retry-After': String(retryAfterSeconds) });
}

async function postPage(slug: string, event: APIGatewayProxyEvent, lambdaContext: Context): Promise<APIGatewayProxyResult> {
  const ctx = context();
  const { area } = ctx;
  const limited = await withinLimit(event, webRateLimits.selfReferralPosts);
  if (!limited.allowed) return tooMany(area, limited.retryAfterSeconds);
  const form = readForm(event);
  if (!form) return show(400, problemPage(area, 'Sorry, we could not read that form', 'Go back and try again.'));
  const read = readSession(selfReferralSession, event);
  if (read.state !== 'active') return htmlPage(200, timedOutPage(area), [clearSessionCookie(selfReferralSession)]);
  const session = read.session;
  if (!validCsrf(session.id, field(form, CSRF_FIELD), sessionKey())) {
    logSafe('info', 'self-referral form refused', { code: 'csrf', httpStatus: 403 });
    return show(403, problemPage(area, 'Sorry, that form has expired', 'Go back, reload the page and try again.'));
  }
  if (field(form, HONEYPOT_FIELD) !== '') {
    // Filled in by something that is not a person reading the page: nothing is kept.
    logSafe('info', 'self-referral form refused', { code: 'honeypot', httpStatus: 400 });
    return show(400, problemPage(area, 'Sorry, we could not accept that form', 'Go back and try again.'));
  }
  if (session.data.reference) return redirect(pagePath(CONFIRMATION), [keep(session)]);
  if (slug === CHECK_ANSWERS) return submitReferral(session, event, lambdaContext);

  const question = questionBySlug(slug);
  if (!question) return show(404, problemPage(area, 'Page not found', 'If you typed the web address, check it is correct.'));
  if (!isReachable(slug, session.data.answers, area)) return redirect(pagePath(nextPage(session.data.answers, area)), [keep(session)]);
  const { values, errors } = question.read(form, ctx);
  const shown: Answers = { ...session.data.answers, ...values };
  const refuse = (refused: typeof errors, code: string) => {
    logSafe('info', 'self-referral answer refused', { code, httpStatus: 400 });
    return show(400, questionPage(area, question, shown, refused, csrfToken(session.id, sessionKey()), ctx), session);
  };
  if (errors.length) return refuse(errors, slug);
  const answers: Answers = {
    ...shown,
    ...(slug === 'consent' && !session.data.answers.consentAt ? { consentAt: new Date().toISOString() } : {}),
  };
  // A cookie too big for the browser would be dropped, and every answer with it: say so instead.
  const cookie = formSessionCookie(session, { answers });
  if (!cookie) return refuse([question.tooLong], 'too_long');
  if (question.eligibility && eligibilitySoFar(answers, area, ctx.today).outcome === 'not_eligible') {
    logSafe('info', 'self-referral not eligible', { code: slug });
    return redirect(pagePath(NOT_ELIGIBLE), [cookie]);
  }
  return redirect(pagePath(nextPage(answers, area)), [cookie]);
}

async function selfReferral(event: APIGatewayProxyEvent, lambdaContext: Context): Promise<APIGatewayProxyResult> {
  const slug = event.pathParameters?.page;
  if (event.resource === `${INFO_PATH}/{page}`) {
    const area = currentArea();
    if (slug !== undefined && isInfoPage(slug)) return htmlPage(200, infoPage(area, slug, { name: `WorkWell ${area.name}`, path: SELF_REFERRAL_PATH }));
    return htmlPage(404, problemPage(area, 'Page not found', 'If you typed the web address, check it is correct.'));
  }
  if (slug === undefined) return htmlPage(200, startPage(currentArea()));
  if (!/^[a-z-]{1,40}$/.test(slug)) return htmlPage(404, problemPage(currentArea(), 'Page not found', 'If you typed the web address, check it is correct.'));
  return event.httpMethod === 'POST' ? postPage(slug, event, lambdaContext) : showPage(slug, event);
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(webErrors())
  .handler(selfReferral);
