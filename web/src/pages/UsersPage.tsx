/**
 * Users (all admins, as in Orchest): list, add, remove, reset a password. The same admin API as
 * `berth user add|list|remove|passwd`; the server enforces the rules (name format, 12+ characters).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { call } from '../api.ts';
import { useAsync } from '../lib/use-async.ts';
import { ErrorNote } from '../components/ErrorNote.tsx';

export function UsersPage(props: { me: string | undefined }) {
  const users = useAsync(() => call('listUsers'), 'users');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);

  useEffect(function nameTheTab() {
    document.title = 'Users · Berth';
  }, []);

  async function run(action: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await action());
      await users.reload();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  function addUser(event: FormEvent) {
    event.preventDefault();
    void run(async function add() {
      const { user } = await call('createUser', {}, { username: username.trim(), password });
      setUsername('');
      setPassword('');
      return `Added ${user.username}. They sign in with this password at /login.`;
    });
  }

  function removeUser(name: string) {
    if (!window.confirm(`Remove ${name}? Their web sessions and the API tokens they created stop working.`)) return;
    void run(async function remove() {
      await call('deleteUser', { username: name });
      return `Removed ${name}.`;
    });
  }

  const list = users.data?.users ?? [];
  return (
    <section className="page">
      <h1>Users</h1>
      <p className="lead">
        Everyone here can sign in and manage all of Berth. The CLI does the same with <code>npx berth user add NAME</code>,{' '}
        <code>user list</code>, <code>user remove</code> and <code>user passwd</code>.
      </p>
      {users.error ? <ErrorNote error={users.error} /> : null}
      {error ? <ErrorNote error={error} /> : null}
      {notice ? (
        <div className="note note-ok" role="status">
          {notice}
        </div>
      ) : null}
      {!users.data && users.loading ? <p className="muted placeholder-line">Loading users…</p> : null}
      {users.data && list.length === 0 ? <p className="muted">No users yet: you are signed in with a token. Add the first one below.</p> : null}
      {list.length > 0 ? (
        // Scrolls inside its box on a phone rather than widening the page.
        <div style={{ overflowX: 'auto' }}>
          <table className="table" aria-label="Users">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Created</th>
                <th scope="col">Password changed</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((user) => (
                <tr key={user.username} data-user={user.username}>
                  <td>
                    <strong>{user.username}</strong>
                    {user.username === props.me ? <span className="muted"> (you)</span> : null}
                  </td>
                  <td className="muted">{new Date(user.createdAt).toLocaleString()}</td>
                  <td className="muted">{new Date(user.updatedAt).toLocaleString()}</td>
                  <td className="actions">
                    <button type="button" className="small" disabled={busy} onClick={() => setResetting(resetting === user.username ? null : user.username)}>
                      Reset password
                    </button>
                    <button type="button" className="small danger" disabled={busy} onClick={() => removeUser(user.username)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {resetting ? (
        <ResetPassword
          username={resetting}
          busy={busy}
          onSubmit={(newPassword) =>
            void run(async function reset() {
              await call('changePassword', { username: resetting }, { password: newPassword });
              setResetting(null);
              return `Changed the password of ${resetting}; their other sign-ins were ended.`;
            })
          }
          onCancel={() => setResetting(null)}
        />
      ) : null}
      <form className="card form-card" onSubmit={addUser} aria-labelledby="add-user">
        <h2 id="add-user">Add a user</h2>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="new-username">Username</label>
            <input id="new-username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" autoCapitalize="none" spellCheck={false} required />
            <p className="help">Letters, digits, dot, dash or underscore.</p>
          </div>
          <div className="field">
            <label htmlFor="new-password">Password</label>
            <input id="new-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" minLength={12} required />
            <p className="help">At least 12 characters.</p>
          </div>
        </div>
        <div className="form-footer">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Add user'}
          </button>
        </div>
      </form>
    </section>
  );
}

function ResetPassword(props: { username: string; busy: boolean; onSubmit: (password: string) => void; onCancel: () => void }) {
  const [password, setPassword] = useState('');
  function submit(event: FormEvent) {
    event.preventDefault();
    props.onSubmit(password);
  }
  return (
    <form className="card form-card" onSubmit={submit} aria-labelledby="reset-password">
      <h2 id="reset-password">New password for {props.username}</h2>
      <div className="field">
        <label htmlFor="reset-password-input">New password</label>
        <input id="reset-password-input" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" minLength={12} required autoFocus />
        <p className="help">At least 12 characters. Their other sign-ins end.</p>
      </div>
      <div className="form-footer">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>{' '}
        <button type="submit" className="primary" disabled={props.busy}>
          Set password
        </button>
      </div>
    </form>
  );
}
