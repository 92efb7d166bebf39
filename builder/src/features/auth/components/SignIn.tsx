import { useState, type FormEvent } from "react";

import { ErrorMessage } from "../../../components/ui/feedback";
import { signIn } from "../../../lib/auth";
import { useAction } from "../../../lib/useAction";
import { checkKey } from "../api/checkKey";

/** Asks for an API key; it is kept for this tab only (see lib/auth.ts). */
export function SignIn() {
  const [key, setKey] = useState("");
  const { busy, error, run } = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await checkKey(key.trim());
      signIn(key.trim());
    });
  };

  return (
    <main className="sign-in">
      <form className="card sign-in__card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Flowhold</h1>
        <p className="muted">
          Sign in with an API key: <code>make run</code> printed one on its first start, and <code>make key</code> makes
          another. It is kept for this tab only.
        </p>
        <label className="field">
          <span>API key</span>
          <input
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            value={key}
            onChange={(event) => setKey(event.target.value)}
            placeholder="fh_…"
          />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" className="button button--primary" disabled={busy || !key.trim()}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
