/**
 * Addresses of the web pages, defined once: the pages link to them and the e-mails point at
 * them (functions/domain/notification-templates.ts), so a message always leads to a page a
 * person can use, never to an API route. Ids only, never personal data.
 */
export const coachPaths = {
  signIn: '/coach/sign-in',
  /** Where the identity provider sends staff back with a code (a registered callback URL). */
  signedIn: '/coach/signed-in',
  signOut: '/coach/sign-out',
  signedOut: '/coach/signed-out',
  tasks: '/coach/tasks',
  team: '/coach/team',
  waitlist: '/coach/waitlist',
  task: (taskId: string) => `/coach/tasks/${encodeURIComponent(taskId)}`,
  referral: (referralId: string) => `/coach/referrals/${encodeURIComponent(referralId)}`,
} as const;

/** A provider's page for one onward referral (reached with the key in its e-mail's link). */
export const providerPaths = {
  onwardReferral: (onwardReferralId: string) => `/provider/onward-referrals/${encodeURIComponent(onwardReferralId)}`,
  /** The e-mailed link: the page with its expiry and key (see onward-referral-store.ts providerPageKey). */
  link: (siteUrl: string, onwardReferralId: string, link: { expires: number; key: string }) =>
    `${siteUrl.replace(/\/+$/, '')}${providerPaths.onwardReferral(onwardReferralId)}?${new URLSearchParams({ expires: String(link.expires), key: link.key }).toString()}`,
} as const;

/** Workspace pages a coach may be sent back to after signing in: same-site paths only. */
const RETURN_PATH = /^\/coach\/(?:tasks|referrals)\/[A-Za-z0-9_-]{1,64}$/;

/**
 * The page to return to after signing in, if `path` is one: anything else (another site,
 * `//host`, a backslash, a sign-in page) gives undefined, so sign-in can never redirect away.
 */
export function safeReturnPath(path: string | undefined): string | undefined {
  return path !== undefined && RETURN_PATH.test(path) ? path : undefined;
}
