/**
 * The login link's address: `<server>/login?token=…`. The server prints one at its first start and
 * the CLI's `berth login-link` prints the one it asked for; both build it here, where the CLI can
 * import it without loading the server.
 */
export function loginLinkUrl(serverUrl: string, token: string): string {
  return `${serverUrl.replace(/\/+$/, '')}/login?token=${encodeURIComponent(token)}`;
}
