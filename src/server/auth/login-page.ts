/**
 * The sign-in page: one self-contained HTML document, no script, no external assets. It posts a
 * plain form to /api/auth/login, so it works with JavaScript off and gives a strict CSP nothing to allow.
 */
import { randomBytes } from 'node:crypto';

export interface LoginPageOptions {
  next: string;
  error?: string;
  /** Shown instead of the form fields' defaults when auth is off. */
  notice?: string;
}

export interface RenderedPage {
  html: string;
  headers: Record<string, string>;
}

export function renderLoginPage(options: LoginPageOptions): RenderedPage {
  const nonce = randomBytes(16).toString('base64');
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : '';
  const notice = options.notice ? `<p class="notice">${escapeHtml(options.notice)}</p>` : '';
  const next = escapeHtml(options.next);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Sign in · Berth</title>
<style nonce="${nonce}">
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { display: grid; place-items: center; min-height: 100vh; margin: 0; background: Canvas; }
  main { width: min(24rem, 92vw); }
  h1 { font-size: 1.4rem; }
  fieldset { border: 1px solid GrayText; border-radius: 6px; margin: 0 0 1rem; padding: 0.8rem 1rem; }
  label { display: block; margin: 0.4rem 0 0.2rem; }
  input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: 0.4rem; font: inherit; }
  button { margin-top: 0.8rem; padding: 0.4rem 1rem; font: inherit; }
  .error { color: #c62828; font-weight: 600; }
  .notice { color: #b26a00; }
  .help { font-size: 0.85rem; color: GrayText; }
</style>
</head>
<body>
<main>
<h1>Sign in to Berth</h1>
${error}${notice}
<form method="post" action="/api/auth/login">
  <input type="hidden" name="next" value="${next}">
  <fieldset>
    <legend>With a password</legend>
    <label for="username">Username</label>
    <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password">
    <button type="submit">Sign in</button>
  </fieldset>
</form>
<form method="post" action="/api/auth/login">
  <input type="hidden" name="next" value="${next}">
  <fieldset>
    <legend>Or with a token</legend>
    <label for="token">Login or API token</label>
    <input id="token" name="token" type="password" autocomplete="off" spellcheck="false">
    <button type="submit">Sign in with token</button>
  </fieldset>
</form>
<p class="help">Lost the link printed at first start? On the server machine, <code>berth user add NAME</code> creates a user,
and the token in <code>&lt;data-dir&gt;/cli-token</code> works here too.</p>
</main>
</body>
</html>
`;
  return {
    html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // same-origin, not no-referrer: with no-referrer Chromium posts the form with `Origin: null`,
      // which the login CSRF check must refuse; the URL (?next=) still never leaves this origin.
      'referrer-policy': 'same-origin',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
