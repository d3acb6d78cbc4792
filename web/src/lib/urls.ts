/**
 * Service URLs, from the same pure naming modules the plan and the proxy use, so the URLs the
 * editor promises are the ones the session serves. When the server gives services their own
 * origin (GET /api/health's `serviceDomain`), links point there directly; else at the path URL.
 */
import { useEffect, useState } from 'react';
import { apiPath } from '../../../src/api/browser.ts';
import { routeBasePath } from '../../../src/plan/browser.ts';
import { serviceHostKey } from '../../../src/proxy/browser.ts';

export function serviceUrl(name: string, sessionUuid: string, port: number, preserveBasePath: boolean, serviceDomain: string | null = null): string {
  const path = `${routeBasePath(name, sessionUuid, port, preserveBasePath)}/`;
  if (!serviceDomain) return path;
  // Same scheme and port as Berth: service hosts are served on Berth's own port.
  const host = `${serviceHostKey({ port, service: name, sessionUuid })}.${serviceDomain}`;
  return `${location.protocol}//${host}${location.port ? `:${location.port}` : ''}${preserveBasePath ? path : '/'}`;
}

export function absolute(url: string): string {
  return url.startsWith('/') ? `${location.origin}${url}` : url;
}

let asked: Promise<string | null> | undefined;
let known: string | null = null;

/** Asks the server once per page load; a server that does not say (or cannot be asked) means path URLs. */
function askServiceDomain(): Promise<string | null> {
  asked ??= fetch(apiPath('health'))
    .then((answer) => (answer.ok ? (answer.json() as Promise<{ serviceDomain?: unknown }>) : {}))
    .then((health: { serviceDomain?: unknown }) => (known = typeof health.serviceDomain === 'string' ? health.serviceDomain : null))
    .catch(() => null);
  return asked;
}

/** The service domain the server uses, or null (path URLs) until it is known or when it has none. */
export function useServiceDomain(): string | null {
  const [domain, setDomain] = useState<string | null>(known);
  useEffect(function learnServiceDomain() {
    let live = true;
    void askServiceDomain().then((answer) => {
      if (live) setDomain(answer);
    });
    return () => {
      live = false;
    };
  }, []);
  return domain;
}
