import { createHmac } from 'node:crypto';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { RenderedEmail } from '../domain/notification-templates.ts';
import { requiredEnv } from './aws-clients.ts';

/**
 * Sends one rendered e-mail. Implementations: Amazon SES v2 (MAIL_CHANNEL=ses, the default)
 * and GOV.UK Notify (MAIL_CHANNEL=notify). The notification id goes with every message (SES
 * message tag and header, Notify reference), so a duplicate can always be traced to its
 * outbox item; the notifier's claim and 'sent' mark keep it from being sent twice.
 */
export interface OutgoingEmail extends RenderedEmail {
  readonly notificationId: string;
  readonly to: string;
  readonly template: string;
  /** The notification's fields, for providers that render their own templates (Notify). */
  readonly fields: Readonly<Record<string, string>>;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<{ messageId?: string }>;
}

/** A failure that retrying will not cure (a rejected address, a bad request). */
export class PermanentMailError extends Error {
  override readonly name = 'PermanentMailError';
  constructor(detail: string) {
    super(`Mail rejected: ${detail}`);
  }
}

const permanentSesErrors = new Set(['MessageRejected', 'BadRequestException', 'MailFromDomainNotVerifiedException', 'AccountSuspendedException', 'SendingPausedException']);

let ses: { endpoint: string | undefined; client: SESv2Client } | undefined;

/** The SES client, made again if its endpoint setting changed (local runs and tests). */
function sesClient(): SESv2Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_SESV2;
  if (!ses || ses.endpoint !== endpoint) {
    ses?.client.destroy();
    ses = { endpoint, client: new SESv2Client({ maxAttempts: 2 }) };
  }
  return ses.client;
}

export class SesMailer implements Mailer {
  constructor(private readonly from: string) {}

  async send(email: OutgoingEmail): Promise<{ messageId?: string }> {
    try {
      const out = await sesClient().send(
        new SendEmailCommand({
          FromEmailAddress: this.from,
          Destination: { ToAddresses: [email.to] },
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
              Headers: [{ Name: 'X-WorkWell-Notification-Id', Value: email.notificationId }],
            },
          },
          EmailTags: [
            { Name: 'notification-id', Value: email.notificationId },
            { Name: 'template', Value: email.template },
          ],
        }),
      );
      return out.MessageId ? { messageId: out.MessageId } : {};
    } catch (error) {
      const name = (error as Error)?.name ?? 'Error';
      if (permanentSesErrors.has(name)) throw new PermanentMailError(name);
      throw error;
    }
  }
}

/**
 * GOV.UK Notify over its HTTP API: one Notify template per notification template
 * (NOTIFY_TEMPLATE_IDS, JSON `{ "task_assigned": "<uuid>", ... }`), personalised with the
 * rendered subject and body, plus the fields; `reference` is the notification id. The API key
 * (NOTIFY_API_KEY, `<name>-<service id>-<secret>`) signs a short-lived JWT per request.
 * Configured, not exercised by the tests here (no Notify endpoint locally).
 */
export class NotifyMailer implements Mailer {
  constructor(
    private readonly apiKey: string,
    private readonly templateIds: Readonly<Record<string, string>>,
    private readonly baseUrl = 'https://api.notifications.service.gov.uk',
  ) {}

  private token(): string {
    const serviceId = this.apiKey.slice(-73, -37);
    const secret = this.apiKey.slice(-36);
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: serviceId, iat: Math.floor(Date.now() / 1000) })}`;
    return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
  }

  async send(email: OutgoingEmail): Promise<{ messageId?: string }> {
    const templateId = this.templateIds[email.template];
    if (!templateId) throw new PermanentMailError(`no Notify template for ${email.template}`);
    const response = await fetch(`${this.baseUrl}/v2/notifications/email`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        email_address: email.to,
        template_id: templateId,
        reference: email.notificationId,
        personalisation: { ...email.fields, subject: email.subject, body: email.text },
      }),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 400 || response.status === 403) throw new PermanentMailError(`Notify ${response.status}`);
    if (!response.ok) throw new Error(`Notify answered ${response.status}`);
    const body = (await response.json().catch(() => ({}))) as { id?: string };
    return body.id ? { messageId: body.id } : {};
  }
}

/** The mailer the environment configures (MAIL_CHANNEL, MAIL_FROM; Notify: NOTIFY_API_KEY, NOTIFY_TEMPLATE_IDS). */
export function mailerFromEnv(): Mailer {
  const channel = process.env.MAIL_CHANNEL ?? 'ses';
  if (channel === 'notify') {
    return new NotifyMailer(requiredEnv('NOTIFY_API_KEY'), JSON.parse(requiredEnv('NOTIFY_TEMPLATE_IDS')) as Record<string, string>);
  }
  return new SesMailer(requiredEnv('MAIL_FROM'));
}
