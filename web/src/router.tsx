/**
 * A tiny history router: the UI has five pages, which does not justify a routing library.
 * Links are real <a href> elements, so they open in new tabs and work from the keyboard.
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();

/**
 * A page with unsaved work says so here: given where the user is going, the question to ask
 * before leaving (or null when that destination keeps the work, e.g. another tab of the same editor).
 * `to` is null when the page itself goes away (reload, closing the tab, another site).
 */
export type LeaveGuard = (to: string | null) => string | null;
let leaveGuard: LeaveGuard | null = null;
/** What the page shows now, so a refused Back can put the address bar back. */
let shown = snapshot();

function notify(): void {
  shown = snapshot();
  for (const listener of listeners) listener();
}

function mayLeaveFor(to: string): boolean {
  const question = leaveGuard?.(to) ?? null;
  return question === null || window.confirm(question);
}

window.addEventListener('popstate', function followHistory() {
  // Back and Forward have already changed the address: undo that when the user stays.
  if (!mayLeaveFor(snapshot())) {
    history.pushState(null, '', shown);
    return;
  }
  notify();
});

/** Installs the page's guard; returns the function that removes it. Also covers reloads and closing the tab. */
export function guardLeaving(guard: LeaveGuard): () => void {
  leaveGuard = guard;
  function askBeforeUnload(event: BeforeUnloadEvent) {
    if (guard(null) === null) return;
    event.preventDefault();
    event.returnValue = ''; // Chromium still needs it to show its own question
  }
  window.addEventListener('beforeunload', askBeforeUnload);
  return function removeGuard() {
    if (leaveGuard === guard) leaveGuard = null;
    window.removeEventListener('beforeunload', askBeforeUnload);
  };
}

/** `force` skips the page's unsaved-work question (sign-in redirects: the page cannot work anyway). */
export function navigate(to: string, options: { replace?: boolean; force?: boolean } = {}): void {
  if (!options.force && !mayLeaveFor(to)) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  notify();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function snapshot(): string {
  return `${location.pathname}${location.search}`;
}

/** The current path and query; re-renders on navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const [path = '/', search = ''] = href.split('?');
  return { path, query: new URLSearchParams(search) };
}

export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { href, onClick, ...rest } = props;
  function followLink(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    // Modified clicks keep the browser's behaviour (new tab, new window).
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  }
  return <a href={href} onClick={followLink} {...rest} />;
}

/** Matches `/projects/:project/pipelines/:pipeline` style patterns; params are decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      if (!g) return null;
      params[w.slice(1)] = decodeURIComponent(g);
    } else if (w !== g) return null;
  }
  return params;
}

export function projectHref(project: string): string {
  return `/projects/${encodeURIComponent(project)}`;
}

export function pipelineHref(project: string, pipeline: string, settings?: string): string {
  const base = `${projectHref(project)}/pipelines/${encodeURIComponent(pipeline)}`;
  return settings ? `${base}/settings?tab=${settings}` : base;
}
