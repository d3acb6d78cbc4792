/**
 * Sign in with the login token that `berth serve` prints, or a username and password. The server
 * sets an HttpOnly cookie; the answer carries the CSRF token that every write must send.
 */
import { useState, type FormEvent } from 'react';
import { api, type Me } from '../api.ts';
import { navigate } from '../router.tsx';
import { ErrorNote } from '../components/ErrorNote.tsx';

/** Only same-origin paths: `next` comes from the URL and must not send the user elsewhere. */
function safeNext(next: string): string {
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/signin') ? next : '/';
}

export function SignInPage(props: { next: string; onSignedIn: (me: Me) => void }) {
  const [mode, setMode] = useState<'token' | 'password'>('token');
  const [token, setToken] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function signIn(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = mode === 'token' ? { token: token.trim() } : { username, password };
      const me = await api<Me>('POST', '/api/auth/login', body, { signInOn401: false });
      props.onSignedIn(me);
      navigate(safeNext(props.next), { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={signIn} aria-labelledby="signin-title">
        <h1 id="signin-title">
          <img src="/favicon.svg" alt="" width={28} height={28} /> Sign in to Berth
        </h1>
        <div className="segmented" role="radiogroup" aria-label="How to sign in">
          <label>
            <input type="radio" name="mode" checked={mode === 'token'} onChange={() => setMode('token')} /> Login token
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'password'} onChange={() => setMode('password')} /> Username and
            password
          </label>
        </div>
        {mode === 'token' ? (
          <div className="field">
            <label htmlFor="token">Login token</label>
            <input id="token" type="password" autoComplete="off" autoFocus value={token} onChange={(e) => setToken(e.target.value)} required />
            <p className="help">
              <code>berth serve</code> prints it at start-up; <code>berth token create</code> makes another.
            </p>
          </div>
        ) : (
          <>
            <div className="field">
              <label htmlFor="username">Username</label>
              <input id="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} required />
            </div>
            <div className="field">
              <label htmlFor="password">Password</label>
              <input
                id="password"
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
              />
            </div>
          </>
        )}
        {error ? <ErrorNote error={error} /> : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
