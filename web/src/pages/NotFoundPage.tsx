import { Link } from '../router.tsx';
import { useTitle } from '../lib/use-title.ts';

/** Any path the router does not know: says which, and titles the tab so history tells it apart. */
export function NotFoundPage(props: { path: string }) {
  useTitle('Page not found');
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at <code>{props.path}</code>. <Link href="/">Go to the projects</Link>.
      </p>
    </section>
  );
}
