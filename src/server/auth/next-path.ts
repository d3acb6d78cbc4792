/**
 * Where to go after signing in. Only same-origin relative paths are accepted, so a crafted
 * `/login?next=` link cannot bounce a freshly signed-in user to another site (open redirect).
 */
const BASE = 'http://berth.invalid';

export function safeNextPath(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return fallback;
  // Browsers treat "\" like "/" and drop tabs and newlines, so "/\evil.com" or "/\t/evil.com" would
  // turn into the scheme-relative "//evil.com": refuse them rather than guess.
  if (!next.startsWith('/') || next.startsWith('//') || /[\\\s]/.test(next) || hasControlCharacter(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('//') ? fallback : path;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
