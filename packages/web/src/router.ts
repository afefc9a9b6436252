import { useEffect, useRef, useState } from 'react';

/**
 * Hash routes (`#/orgs/acme/members`): the server answers only `/` with the app, so no dashboard
 * path can shadow a server page (/login, /device, /api).
 */
export function useRoute(): string[] {
  const read = () =>
    window.location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter(Boolean)
      .map((part) => decodeURIComponent(part));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;

/**
 * After a hash navigation (not the first load), focus moves to the new page's main heading, so a
 * screen reader announces the page and Tab starts from it; the shell's `main` when the page has
 * none yet (a lazily loaded page still loading).
 */
export function useFocusOnNavigation(route: string[]) {
  const key = route.join('/');
  const shown = useRef(key);
  useEffect(() => {
    if (shown.current === key) return;
    shown.current = key;
    const heading = document.querySelector<HTMLElement>('main h1') ?? document.getElementById('main');
    if (!heading) return;
    if (!heading.hasAttribute('tabindex')) heading.tabIndex = -1;
    heading.focus();
  }, [key]);
}
