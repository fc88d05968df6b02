import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorFields, logSafe } from '../shared/observability.ts';
import { html } from './html.ts';
import { htmlPage } from './http.ts';
import { page } from './layout.ts';

/**
 * Catch-all for the web pages: any error becomes the GOV.UK "Sorry, there is a problem with
 * the service" page (500), logged by error name only; nothing of the request reaches the page.
 */
export function servicePage(statusCode: number, title: string, body: string, serviceName = 'WorkWell', servicePath = '/self-referral'): APIGatewayProxyResult {
  return htmlPage(
    statusCode,
    page({ title, serviceName, servicePath, content: html`<h1 class="govuk-heading-l">${title}</h1><p class="govuk-body">${body}</p>` }),
  );
}

export function webErrors(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      if (request.response !== undefined && request.response !== null) return;
      logSafe('error', 'unhandled error', { ...errorFields(request.error), httpStatus: 500 });
      request.response = servicePage(500, 'Sorry, there is a problem with the service', 'Try again later. We have not kept anything you sent.');
    },
  };
}
