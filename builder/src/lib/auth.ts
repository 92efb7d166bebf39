// The API key lives for this tab only: in memory and in sessionStorage (which survives a
// reload of the tab, not a new tab or a closed browser). Never in a URL or localStorage.
import { useSyncExternalStore } from "react";

const STORAGE_KEY = "flowhold.api_key";
let key: string | null = readStored();
const listeners = new Set<() => void>();

function readStored(): string | null {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the key stays in memory only
  }
}

function emit(): void {
  for (const listener of listeners) listener();
}

export function getKey(): string | null {
  return key;
}

export function signIn(newKey: string): void {
  key = newKey;
  try {
    window.sessionStorage.setItem(STORAGE_KEY, newKey);
  } catch {
    // memory only
  }
  emit();
}

export function signOut(): void {
  key = null;
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
  emit();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useApiKey(): string | null {
  return useSyncExternalStore(subscribe, getKey);
}
