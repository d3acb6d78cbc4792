/**
 * The shell: checks the login once, then routes. A logged-out visit to any page goes to the
 * server's sign-in page (/login?next=<that page>), and signing in comes back to it.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { ApiFailure} from './api.ts';
import { api, API_ROUTES, apiPath, goToSignIn, setCsrfToken, type MeInfo } from './api.ts';
import { Link, match, useLocation } from './router.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { UsersPage } from './pages/UsersPage.tsx';
import { ProjectsPage } from './pages/ProjectsPage.tsx';
import { ProjectPage } from './pages/ProjectPage.tsx';
import { PipelinePage } from './pages/PipelinePage.tsx';
import { PipelineSettingsPage } from './pages/PipelineSettingsPage.tsx';
import { JobsPage } from './pages/JobsPage.tsx';
import { RunPage } from './pages/RunPage.tsx';
import { EnvironmentsPage } from './pages/EnvironmentsPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { ErrorNote } from './components/ErrorNote.tsx';

/** Who is signed in; empty on a server without login (BERTH_AUTH=off), whose /api/auth/me answers 404. */
type Me = Partial<MeInfo>;

type AuthState = { kind: 'checking' } | { kind: 'in'; me: Me } | { kind: 'out' } | { kind: 'error'; error: ApiFailure };

export function App() {
  const { path, query } = useLocation();
  const [auth, setAuth] = useState<AuthState>({ kind: 'checking' });

  useEffect(
    function checkLogin() {
      if (auth.kind !== 'checking') return;
      api<MeInfo>(API_ROUTES.me.method, apiPath('me'), undefined, { signInOn401: false })
        .then((me) => {
          setCsrfToken(typeof me.csrfToken === 'string' ? me.csrfToken : null);
          setAuth({ kind: 'in', me });
        })
        .catch((error: ApiFailure) => {
          if (error.status === 401) setAuth({ kind: 'out' });
          else if (error.status === 404) setAuth({ kind: 'in', me: {} }); // a server without login (BERTH_AUTH=off)
          else setAuth({ kind: 'error', error });
        });
    },
    [auth.kind],
  );

  useEffect(
    function sendLoggedOutToSignIn() {
      if (auth.kind === 'out' && path !== '/signin') goToSignIn();
    },
    [auth.kind, path],
  );

  if (path === '/signin') return <SignInPage next={query.get('next') ?? '/'} />;
  if (auth.kind === 'checking' || auth.kind === 'out') return <Frame>{null}</Frame>;
  if (auth.kind === 'error') {
    return (
      <Frame>
        <ErrorNote error={auth.error} />
      </Frame>
    );
  }
  return <Frame user={auth.me}>{routeTo(path, auth.me)}</Frame>;
}

function routeTo(path: string, me: Me) {
  let params: Record<string, string> | null;
  if (path === '/' || path === '/projects') return <ProjectsPage />;
  if (path === '/users') return <UsersPage me={me.user?.username ?? undefined} />;
  if ((params = match('/projects/:project', path))) return <ProjectPage project={params.project!} />;
  if ((params = match('/projects/:project/jobs', path))) return <JobsPage project={params.project!} />;
  if ((params = match('/projects/:project/environments', path))) return <EnvironmentsPage project={params.project!} />;
  if ((params = match('/projects/:project/runs/:run', path))) return <RunPage project={params.project!} run={params.run!} />;
  if ((params = match('/projects/:project/pipelines/:pipeline', path))) {
    return <PipelinePage project={params.project!} pipeline={params.pipeline!} />;
  }
  if ((params = match('/projects/:project/pipelines/:pipeline/settings', path))) {
    return <PipelineSettingsPage project={params.project!} pipeline={params.pipeline!} />;
  }
  return <NotFoundPage path={path} />;
}

function Frame(props: { user?: Me; children: ReactNode }) {
  const name = props.user?.user?.name ?? props.user?.user?.username;
  return (
    <div className="app">
      <header className="topbar">
        <Link href="/" className="brand">
          <img src="/favicon.svg" alt="" width={22} height={22} />
          Berth
        </Link>
        <nav aria-label="Main">
          <Link href="/">Projects</Link>
        </nav>
        <span className="spacer" />
        {name && props.user?.authEnabled === true ? <UserMenu name={name} csrfToken={props.user.csrfToken} /> : null}
      </header>
      <main>{props.children}</main>
    </div>
  );
}

/**
 * Who is signed in, and Sign out: a plain form post with the session's CSRF token, so it works
 * the same with or without the page's script; the server answers with the sign-in page.
 */
function UserMenu(props: { name: string; csrfToken: string | null | undefined }) {
  return (
    <details className="user-menu" style={{ position: 'relative' }}>
      <summary title={`Signed in as ${props.name}`} style={{ cursor: 'pointer', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', maxWidth: '14rem' }}>
        <span className="sr-only">Signed in as </span>
        <strong>{props.name}</strong>
      </summary>
      <div className="card" style={{ position: 'absolute', right: 0, top: '2rem', zIndex: 10, minWidth: '12rem', display: 'grid', gap: '0.5rem' }}>
        <Link href="/users">Users</Link>
        <form method="post" action={API_ROUTES.logout.path}>
          <input type="hidden" name="csrf" value={props.csrfToken ?? ''} />
          <button type="submit">Sign out</button>
        </form>
      </div>
    </details>
  );
}
