import { useCallback, useEffect, useState } from "react";

import { ErrorMessage, Loading } from "../../../components/ui/feedback";
import { formatTime } from "../../../lib/format";
import { navigate, useLocation } from "../../../lib/router";
import { useAsync } from "../../../lib/useAsync";
import { deleteAccount, listAccounts, refreshAccount, updateAccount, type Account } from "../api/accounts";
import { useXConnection, xOutcome } from "../hooks/useXConnection";
import { HttpCredentialForm, InstagramForm, parseHosts, XTokensForm } from "./ConnectForms";

function HostsEditor({ account, onDone }: { account: Account; onDone: () => void }) {
  const [text, setText] = useState((account.allowed_hosts ?? []).join(", "));
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      className="toolbar"
      onSubmit={async (event) => {
        event.preventDefault();
        setError(null);
        try {
          await updateAccount(account.id, { allowed_hosts: parseHosts(text) });
          onDone();
        } catch (failure) {
          setError(failure);
        }
      }}
    >
      <label className="field field--inline">
        <span>Allowed hosts</span>
        <input className="input" value={text} onChange={(event) => setText(event.target.value)} />
      </label>
      <button type="submit" className="button button--small">
        Save hosts
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}

/** Connected accounts: status and expiry, never a secret; connect X, Instagram, HTTP. */
export function AccountsPage() {
  const accounts = useAsync(listAccounts, []);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const reload = accounts.reload;
  const connected = useCallback(() => {
    setNotice("Account connected");
    reload();
  }, [reload]);
  const x = useXConnection();
  const search = useLocation().query.toString();
  const [xError, setXError] = useState<unknown>(null);
  useEffect(() => {
    // Back from X: say how it went once, and take the outcome out of the address.
    const outcome = xOutcome(new URLSearchParams(search));
    if (!outcome) return;
    if ("connected" in outcome) setNotice("Account connected");
    else setXError(new Error(`X was not connected: ${outcome.message}`));
    navigate("/accounts", { replace: true });
  }, [search]);

  const act = async (what: string, call: () => Promise<unknown>) => {
    setError(null);
    try {
      await call();
      setNotice(what);
      reload();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <main className="page">
      <header className="page__header">
        <h1>Accounts</h1>
      </header>
      <ErrorMessage error={error ?? accounts.error} />
      {notice && <p role="status">{notice}</p>}
      {accounts.loading && !accounts.data && <Loading what="accounts" />}
      {accounts.data && (
        <table className="table">
          <caption className="visually-hidden">Connected accounts</caption>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Platform</th>
              <th scope="col">Status</th>
              <th scope="col">Credential</th>
              <th scope="col">Expires</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {accounts.data.data.map((account) => (
              <tr key={account.id}>
                <td>
                  {account.display_name}
                  <div className="muted small">
                    <code>{account.id}</code>
                  </div>
                  {account.platform === "http" && (
                    <HostsEditor account={account} onDone={() => act("Hosts saved", async () => undefined)} />
                  )}
                </td>
                <td>{account.platform}</td>
                <td>
                  <span className={`badge badge--${account.status === "active" ? "succeeded" : "failed"}`}>
                    {account.status}
                  </span>
                </td>
                <td>{account.credential?.kind ?? "—"}</td>
                <td>{formatTime(account.credential?.expires_at)}</td>
                <td>
                  <div className="toolbar">
                    {account.platform !== "http" && (
                      <button
                        type="button"
                        className="button button--small"
                        onClick={() => act(`Renewed ${account.display_name}`, () => refreshAccount(account.id))}
                      >
                        Renew
                      </button>
                    )}
                    <button
                      type="button"
                      className="button button--small button--danger"
                      aria-label={`Delete ${account.display_name}`}
                      onClick={() => {
                        if (window.confirm(`Delete ${account.display_name}?`))
                          void act(`Deleted ${account.display_name}`, () => deleteAccount(account.id));
                      }}
                    >
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {accounts.data?.count === 0 && <p className="muted">No account connected yet.</p>}
      <h2>Connect</h2>
      <div className="connect-grid">
        <section className="card connect-form" aria-label="X (OAuth)">
          <h3>X (sign in with X)</h3>
          <p className="muted small">Goes to X; approve there and X brings you back here.</p>
          <button type="button" className="button button--primary" onClick={x.connect} disabled={x.waiting}>
            {x.waiting ? "Going to X…" : "Connect X"}
          </button>
          <ErrorMessage error={x.error ?? xError} />
        </section>
        <XTokensForm onDone={connected} />
        <InstagramForm onDone={connected} />
        <HttpCredentialForm onDone={connected} />
      </div>
    </main>
  );
}
