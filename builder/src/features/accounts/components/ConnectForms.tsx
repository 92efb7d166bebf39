import { useState, type FormEvent, type ReactNode } from "react";

import { ErrorMessage } from "../../../components/ui/feedback";
import { useAction } from "../../../lib/useAction";
import { connectInstagram, connectXTokens, createHttpAccount, type HttpAccountCreate } from "../api/accounts";

type CredentialType = HttpAccountCreate["credential"]["type"];

/** A form whose secret fields are emptied once sent: a secret is never shown again. */
function SecretForm({
  title,
  onSubmit,
  children,
}: {
  title: string;
  onSubmit: () => Promise<void>;
  children: ReactNode;
}) {
  const { busy, error, run } = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(onSubmit);
  };
  return (
    <form className="card connect-form" onSubmit={submit} aria-label={title}>
      <h3>{title}</h3>
      {children}
      <ErrorMessage error={error} />
      <button type="submit" className="button button--primary" disabled={busy}>
        {busy ? "Connecting…" : "Connect"}
      </button>
    </form>
  );
}

function Secret({
  label,
  value,
  onChange,
  required = true,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  required?: boolean;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        className="input"
        type="password"
        autoComplete="off"
        required={required}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

function Text({
  label,
  value,
  onChange,
  required = false,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  required?: boolean;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input className="input" required={required} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

export function parseHosts(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((host) => host.trim())
    .filter(Boolean);
}

export function InstagramForm({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState("");
  const [name, setName] = useState("");
  return (
    <SecretForm
      title="Instagram (long-lived token)"
      onSubmit={async () => {
        await connectInstagram({ access_token: token, ...(name ? { display_name: name } : {}) });
        setToken("");
        setName("");
        onDone();
      }}
    >
      <Secret label="Access token" value={token} onChange={setToken} />
      <Text label="Display name (optional)" value={name} onChange={setName} />
    </SecretForm>
  );
}

export function XTokensForm({ onDone }: { onDone: () => void }) {
  const [access, setAccess] = useState("");
  const [refresh, setRefresh] = useState("");
  return (
    <SecretForm
      title="X bot account (pasted tokens)"
      onSubmit={async () => {
        await connectXTokens({ access_token: access, ...(refresh ? { refresh_token: refresh } : {}) });
        setAccess("");
        setRefresh("");
        onDone();
      }}
    >
      <Secret label="X access token" value={access} onChange={setAccess} />
      <Secret label="X refresh token (optional)" value={refresh} onChange={setRefresh} required={false} />
    </SecretForm>
  );
}

export function HttpCredentialForm({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState("");
  const [type, setType] = useState<CredentialType>("bearer");
  const [first, setFirst] = useState("");
  const [secret, setSecret] = useState("");
  const [hosts, setHosts] = useState("");
  const credential = (): HttpAccountCreate["credential"] => {
    switch (type) {
      case "bearer":
        return { type, token: secret };
      case "basic":
        return { type, username: first, password: secret };
      default:
        return { type, name: first, value: secret };
    }
  };
  return (
    <SecretForm
      title="HTTP credential"
      onSubmit={async () => {
        await createHttpAccount({ display_name: name, credential: credential(), allowed_hosts: parseHosts(hosts) });
        setSecret("");
        setFirst("");
        setName("");
        setHosts("");
        onDone();
      }}
    >
      <Text label="Name" value={name} onChange={setName} required />
      <label className="field">
        <span>Kind</span>
        <select className="input" value={type} onChange={(event) => setType(event.target.value as CredentialType)}>
          <option value="bearer">Bearer token</option>
          <option value="basic">Basic (user and password)</option>
          <option value="header">A header</option>
          <option value="query">A query parameter</option>
        </select>
      </label>
      {type === "basic" && <Text label="User name" value={first} onChange={setFirst} required />}
      {(type === "header" || type === "query") && (
        <Text label={type === "header" ? "Header name" : "Parameter name"} value={first} onChange={setFirst} required />
      )}
      <Secret
        label={type === "bearer" ? "Token" : type === "basic" ? "Password" : "Value"}
        value={secret}
        onChange={setSecret}
      />
      <label className="field">
        <span>Allowed hosts (api.example.com, *.example.org)</span>
        <textarea
          className="input"
          rows={2}
          required
          value={hosts}
          onChange={(event) => setHosts(event.target.value)}
        />
      </label>
    </SecretForm>
  );
}
