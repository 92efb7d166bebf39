import { useCallback, useRef, useState } from "react";

const LIMIT = 200;
const COALESCE_MS = 1000;

/** Undo and redo over snapshots of the canvas. Edits with the same `key` within a second
 * (typing in one field) make one step. */
export function useHistory<T>() {
  const undoStack = useRef<T[]>([]);
  const redoStack = useRef<T[]>([]);
  const last = useRef<{ key: string | null; at: number }>({ key: null, at: 0 });
  const [, setVersion] = useState(0);
  const bump = () => setVersion((value) => value + 1);

  const record = useCallback((before: T, key: string | null = null) => {
    const now = Date.now();
    if (key !== null && last.current.key === key && now - last.current.at < COALESCE_MS) {
      last.current.at = now;
      return;
    }
    last.current = { key, at: now };
    undoStack.current.push(before);
    if (undoStack.current.length > LIMIT) undoStack.current.shift();
    redoStack.current = [];
    bump();
  }, []);

  const undo = useCallback((current: T): T | null => {
    const previous = undoStack.current.pop();
    if (previous === undefined) return null;
    redoStack.current.push(current);
    last.current = { key: null, at: 0 };
    bump();
    return previous;
  }, []);

  const redo = useCallback((current: T): T | null => {
    const next = redoStack.current.pop();
    if (next === undefined) return null;
    undoStack.current.push(current);
    last.current = { key: null, at: 0 };
    bump();
    return next;
  }, []);

  const reset = useCallback(() => {
    undoStack.current = [];
    redoStack.current = [];
    bump();
  }, []);

  return {
    record,
    undo,
    redo,
    reset,
    canUndo: undoStack.current.length > 0,
    canRedo: redoStack.current.length > 0,
  };
}
