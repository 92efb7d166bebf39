import { useEffect, useId, useRef, useState, type ChangeEvent, type KeyboardEvent } from "react";

import type { Preview } from "../api/workflows";

export interface Completion {
  /** Roots available in every field of this node (`trigger`, `nodes`, and `item` in a loop's
   * body, ...) and `nodes.<id>` of upstream nodes. */
  words: string[];
  /** Roots only some fields have, by top-level parameter (`event` in a wait's `match`). */
  fieldWords?: Record<string, string[]>;
  /** Evaluates a field's text as the engine would (`POST /expressions/preview`). */
  preview?: (source: string, bare: boolean) => Promise<Preview>;
}

const PREVIEW_DELAY_MS = 300;
const PREVIEW_CHARACTERS = 300;

function previewText(answer: Preview): { text: string; failed: boolean } {
  if (answer.error) return { text: `${answer.error.type}: ${answer.error.message}`, failed: true };
  const text = JSON.stringify(answer.value) ?? "null";
  return { text: text.length > PREVIEW_CHARACTERS ? `${text.slice(0, PREVIEW_CHARACTERS)}…` : text, failed: false };
}

/** The field's value as the engine would evaluate it, shown under the field while typing. */
function PreviewLine({ source, bare, preview }: { source: string; bare: boolean; preview: Completion["preview"] }) {
  const [shown, setShown] = useState<{ source: string; text: string; failed: boolean } | null>(null);
  const wanted = Boolean(preview) && (bare ? source.trim() !== "" : source.includes("{{"));
  useEffect(() => {
    if (!wanted || !preview) return;
    let live = true;
    const timer = window.setTimeout(() => {
      preview(source, bare).then(
        (answer) => live && setShown({ source, ...previewText(answer) }),
        (error: unknown) =>
          live && setShown({ source, text: String((error as Error)?.message ?? error), failed: true }),
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [wanted, source, bare, preview]);
  if (!wanted || !shown) return null;
  return (
    <output className={shown.failed ? "preview preview--failed" : "preview"} aria-label="Preview" aria-live="polite">
      {shown.failed ? "⚠ " : "= "}
      {shown.text}
    </output>
  );
}

const TOKEN = /([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]*)*)$/;

/** The word being typed at the caret, when completing makes sense there: anywhere in a bare
 * expression, inside `{{ }}` in a template. */
export function tokenAt(text: string, caret: number, bare: boolean): string | null {
  const before = text.slice(0, caret);
  if (!bare && before.lastIndexOf("{{") <= before.lastIndexOf("}}")) return null;
  return TOKEN.exec(before)?.[1] ?? null;
}

interface Props {
  id: string;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  completion: Completion;
  bare: boolean;
  multiline?: boolean;
  placeholder?: string;
  required?: boolean;
  disabled?: boolean;
  invalid?: boolean;
  describedBy?: string;
}

/** A text input that completes expression roots and upstream node ids (a combobox). */
export function ExpressionInput(props: Props) {
  const listId = useId();
  const [token, setToken] = useState<string | null>(null);
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const options = token
    ? props.completion.words.filter((word) => word.startsWith(token) && word !== token).slice(0, 8)
    : [];
  const open = options.length > 0;

  // Closing the list on blur waits a moment (a click on an option comes after the blur); typing
  // again before then must not have its list closed by that older blur.
  const closing = useRef<number | undefined>(undefined);
  const track = (text: string, position: number) => {
    window.clearTimeout(closing.current);
    setCaret(position);
    setToken(tokenAt(text, position, props.bare));
    setActive(0);
  };

  const change = (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    props.onChange(event.target.value);
    track(event.target.value, event.target.selectionStart ?? event.target.value.length);
  };

  const accept = (word: string) => {
    if (!token) return;
    const start = caret - token.length;
    props.onChange(props.value.slice(0, start) + word + props.value.slice(caret));
    setToken(null);
  };

  const keyDown = (event: KeyboardEvent) => {
    if (!open) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((index) => (index + step + options.length) % options.length);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      accept(options[active] ?? options[0]!);
    } else if (event.key === "Escape") {
      event.stopPropagation();
      setToken(null);
    }
  };

  const shared = {
    id: props.id,
    value: props.value,
    onChange: change,
    onKeyDown: keyDown,
    onBlur: () => {
      closing.current = window.setTimeout(() => setToken(null), 150);
      props.onBlur?.();
    },
    placeholder: props.placeholder,
    required: props.required,
    disabled: props.disabled,
    spellCheck: false,
    autoComplete: "off",
    role: "combobox",
    "aria-autocomplete": "list" as const,
    "aria-expanded": open,
    "aria-controls": listId,
    "aria-activedescendant": open ? `${listId}-${active}` : undefined,
    "aria-invalid": props.invalid || undefined,
    "aria-describedby": props.describedBy,
    className: "input nodrag",
  };

  return (
    <div className="completion">
      {props.multiline ? <textarea rows={3} {...shared} /> : <input type="text" {...shared} />}
      <PreviewLine source={props.value} bare={props.bare} preview={props.completion.preview} />
      <ul id={listId} role="listbox" className="completion__list" hidden={!open} aria-label="Completions">
        {options.map((word, index) => (
          <li
            key={word}
            id={`${listId}-${index}`}
            role="option"
            aria-selected={index === active}
            className={index === active ? "completion__item completion__item--active" : "completion__item"}
            onMouseDown={(event) => {
              event.preventDefault();
              accept(word);
            }}
          >
            {word}
          </li>
        ))}
      </ul>
    </div>
  );
}
