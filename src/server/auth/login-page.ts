/**
 * The one sign-in page (`/login`; `/signin` redirects here): a self-contained HTML document styled
 * like the web UI, with no script and no external assets but the favicon. It posts plain forms to
 * itself (POST /login), so it works with JavaScript off, is what the proxy and the UI send browsers to,
 * and gives a strict CSP nothing to allow.
 */
import { randomBytes } from 'node:crypto';

export interface LoginPageOptions {
  next: string;
  error?: string;
  /** What to do about the error, shown under it. */
  hint?: string;
  /** The username to keep in the field after a wrong password. */
  username?: string;
  /**
   * CSP sources a sign-in may lead to besides this origin (`*.localhost:*`): CSP's form-action also
   * checks the redirects after the post, and `next` may be a service path that leads to its own origin.
   */
  formActions?: string;
}

export interface RenderedPage {
  html: string;
  headers: Record<string, string>;
}

/** Mirrors web/src/styles.css (colours, fields, buttons, card) so both halves of Berth look alike. */
const STYLE = `
  :root { --accent: #0b6bcb; --accent-dark: #0957a6; --text: #1f2933; --muted: #5f6b7a; --line: #dfe3e8; --bg: #f6f7f9;
    --card: #fff; --bad: #b91c1c; --bad-soft: #fdecec; --idle-soft: #eef0f3; --radius: 8px;
    --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace;
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; font-size: 15px;
    line-height: 1.5; color: var(--text); background: var(--bg); }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 1rem; }
  main { width: min(420px, 100%); display: flex; flex-direction: column; gap: 0.8rem; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 1.5rem; }
  h1 { display: flex; align-items: center; gap: 0.6rem; font-size: 1.35rem; margin: 0 0 0.6rem; font-weight: 650; }
  form { display: flex; flex-direction: column; gap: 0.6rem; }
  fieldset { border: none; border-top: 1px solid var(--line); margin: 0.6rem 0 0; padding: 0.7rem 0 0; min-width: 0;
    display: flex; flex-direction: column; gap: 0.6rem; }
  legend { font-weight: 650; font-size: 0.92rem; padding-right: 0.5rem; }
  .field { display: flex; flex-direction: column; gap: 0.2rem; }
  label { font-weight: 550; font-size: 0.88rem; }
  input { font: inherit; font-size: 0.92rem; padding: 0.4rem 0.55rem; border: 1px solid #c8cfd8; border-radius: 6px;
    background: #fff; color: var(--text); width: 100%; min-height: 34px; }
  button { font: inherit; font-size: 0.92rem; padding: 0.42rem 0.9rem; border-radius: 6px; cursor: pointer; min-height: 34px;
    background: var(--accent); border: 1px solid var(--accent); color: #fff; font-weight: 600; align-self: flex-start; }
  button:hover { background: var(--accent-dark); border-color: var(--accent-dark); }
  :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
  .error { background: var(--bad-soft); border: 1px solid #f0b4b4; border-radius: 6px; padding: 0.6rem 0.8rem; margin: 0; }
  .error strong { color: var(--bad); }
  .error .hint { color: var(--text); font-size: 0.88rem; margin-top: 0.2rem; }
  .help { color: var(--muted); font-size: 0.85rem; margin: 0; }
  code { font-family: var(--mono); font-size: 0.88em; background: var(--idle-soft); padding: 0.05rem 0.3rem; border-radius: 4px; }
`;

export function renderLoginPage(options: LoginPageOptions): RenderedPage {
  const nonce = randomBytes(16).toString('base64');
  const hint = options.hint ? `<div class="hint">${escapeHtml(options.hint)}</div>` : '';
  const error = options.error ? `<div class="error" role="alert"><strong>${escapeHtml(options.error)}</strong>${hint}</div>` : '';
  const next = escapeHtml(options.next);
  // The forms post to /login itself (keeping ?next=), so a refused sign-in leaves the address bar on this page.
  const action = escapeHtml(options.next === '/' ? '/login' : `/login?next=${encodeURIComponent(options.next)}`);
  const username = escapeHtml(options.username ?? '');
  // After a wrong password the password field gets the focus; otherwise the username does.
  const focusUser = options.username ? '' : ' autofocus';
  const focusPassword = options.username ? ' autofocus' : '';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Sign in · Berth</title>
<link rel="icon" href="/favicon.svg">
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
<div class="card">
<h1><img src="/favicon.svg" alt="" width="28" height="28"> Sign in to Berth</h1>
${error}
<form method="post" action="${action}" aria-label="Sign in with a password">
  <input type="hidden" name="next" value="${next}">
  <div class="field">
    <label for="username">Username</label>
    <input id="username" name="username" type="text" value="${username}" autocomplete="username" autocapitalize="none" spellcheck="false" required${focusUser}>
  </div>
  <div class="field">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required${focusPassword}>
  </div>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="${action}" aria-label="Sign in with a token">
  <input type="hidden" name="next" value="${next}">
  <fieldset>
    <legend>Or with a login link's token or an API token</legend>
    <div class="field">
      <label for="token">Token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>
    </div>
    <button type="submit">Sign in with the token</button>
  </fieldset>
</form>
</div>
<p class="help">First start? Open the login link <code>npm start</code> printed. Lost it, or it expired? On the server machine,
<code>npx berth login-link</code> prints a new one. Admins add users with <code>npx berth user add NAME</code> or on the Users page.</p>
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
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self'; form-action 'self'${options.formActions ? ` ${options.formActions}` : ''}; frame-ancestors 'none'; base-uri 'none'`,
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
