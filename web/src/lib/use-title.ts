/**
 * Each page names its browser tab ("analytics · Berth"), so several open tabs and the history
 * list tell pages apart, and screen readers announce the page on navigation.
 */
import { useEffect } from 'react';

export function pageTitle(...parts: (string | null | undefined)[]): string {
  return [...parts.filter((p): p is string => Boolean(p)), 'Berth'].join(' · ');
}

export function useTitle(...parts: (string | null | undefined)[]): void {
  const title = pageTitle(...parts);
  useEffect(
    function showTitle() {
      document.title = title;
    },
    [title],
  );
}
