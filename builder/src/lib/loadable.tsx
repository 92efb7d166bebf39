// Code split off a page or a panel, as React.lazy, except that once the code is loaded the
// component draws at once: a lazy component suspends at its first render even when its module
// is already there, and React then holds the content back for up to 300 ms (its throttling of
// suspense fallbacks), which opening a big workflow paid after loading the code in advance.
import { lazy, useState, type ComponentType, type JSX } from "react";

export interface Loadable<P extends object> {
  /** Draws the component, suspending only while its code is still loading. */
  Component: (props: P) => JSX.Element;
  /** Starts loading the code; a failure is reported by the component when it draws. */
  preload: () => void;
}

export function loadable<P extends object>(load: () => Promise<ComponentType<P>>): Loadable<P> {
  let ready: ComponentType<P> | null = null;
  const fetchCode = () => load().then((component) => (ready = component));
  const Lazy = lazy(() => fetchCode().then((component) => ({ default: component })));
  function Component(props: P) {
    // Decided once per mount: switching later from Lazy to Ready would remount the page.
    const [Ready] = useState(() => ready);
    return Ready ? <Ready {...props} /> : <Lazy {...props} />;
  }
  return { Component, preload: () => void fetchCode().catch(() => undefined) };
}
