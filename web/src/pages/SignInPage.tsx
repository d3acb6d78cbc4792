/**
 * `/signin` inside the UI hands over to the one sign-in page, the server-rendered `/login` (it works
 * without JavaScript and is where the proxy sends browsers too), keeping where to come back to.
 */
import { useEffect } from 'react';

/** Only same-origin paths: `next` comes from the URL and must not send the user elsewhere (the server checks again). */
function safeNext(next: string): string {
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/signin') && !next.startsWith('/login') ? next : '/';
}

export function signInHref(next: string): string {
  const back = safeNext(next);
  return back === '/' ? '/login' : `/login?next=${encodeURIComponent(back)}`;
}

export function SignInPage(props: { next: string }) {
  const href = signInHref(props.next);
  useEffect(
    function goToLoginPage() {
      window.location.replace(href);
    },
    [href],
  );
  return (
    <main className="signin">
      <p>
        <a href={href}>Sign in to Berth</a>
      </p>
    </main>
  );
}
