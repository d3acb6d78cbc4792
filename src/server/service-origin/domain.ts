/**
 * Which service domain a server uses (`--service-domain`, `BERTH_SERVICE_DOMAIN`): by default
 * `localhost` when Berth listens on loopback (browsers resolve every `*.localhost` to loopback with
 * no DNS set-up), else none, and `off` keeps services on Berth's origin under their path URLs.
 */
import { normaliseServiceDomain } from '../../proxy/index.ts';
import { ApiError } from '../errors.ts';

export type ServiceDomainChoice =
  /** Services on `<port>-<name>.<sid>.<domain>`; browsers are sent back to Berth at `berthHost`. */
  | { mode: 'origins'; domain: string; berthHost: string }
  /** Services share Berth's origin (path URLs only); `reason` is printed in the banner. */
  | { mode: 'off'; reason: string };

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|\[::1\]|localhost)$/i;

export function resolveServiceDomain(option: string | undefined, listenHost: string): ServiceDomainChoice {
  const loopback = LOOPBACK.test(listenHost);
  const berthHost = listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
  if (option === undefined || option.trim() === '') {
    if (loopback) return { mode: 'origins', domain: 'localhost', berthHost };
    return {
      mode: 'off',
      reason: `Berth listens on ${listenHost}, not on loopback, and no --service-domain was given: services share Berth's origin (give a wildcard domain that points at Berth to isolate them)`,
    };
  }
  if (option.trim().toLowerCase() === 'off') return { mode: 'off', reason: '--service-domain off: services share Berth\'s origin' };
  const domain = normaliseServiceDomain(option);
  if (domain === undefined) {
    throw new ApiError('BERTH_API_SERVICE_DOMAIN_INVALID', { option });
  }
  // Berth itself is expected at the domain (berth.example.com, services under *.berth.example.com);
  // for localhost, at the loopback address it listens on.
  return { mode: 'origins', domain, berthHost: domain === 'localhost' && loopback ? berthHost : domain };
}
