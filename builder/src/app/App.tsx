import { SignIn } from "../features/auth/components/SignIn";
import { ErrorMessage, Loading } from "../components/ui/feedback";
import { signOut, useApiKey } from "../lib/auth";
import { CatalogContext, loadCatalog } from "../lib/catalog";
import { Link, useLocation } from "../lib/router";
import { useAsync } from "../lib/useAsync";
import { Page } from "./routes";

const SECTIONS = [
  { to: "/", label: "Workflows", active: (path: string) => path === "/" || path.startsWith("/workflows") },
  { to: "/runs", label: "Runs", active: (path: string) => path.startsWith("/runs") },
  { to: "/accounts", label: "Accounts", active: (path: string) => path.startsWith("/accounts") },
];

function Shell() {
  const location = useLocation();
  const catalog = useAsync(loadCatalog, []);
  return (
    <div className="app">
      <header className="app__bar">
        <span className="app__brand">Flowhold</span>
        <nav aria-label="Main">
          <ul className="app__nav">
            {SECTIONS.map((section) => (
              <li key={section.to}>
                <Link to={section.to} aria-current={section.active(location.path) ? "page" : undefined}>
                  {section.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="button button--ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      {catalog.error ? (
        <ErrorMessage error={catalog.error} />
      ) : catalog.data ? (
        <CatalogContext.Provider value={catalog.data}>
          <Page location={location} />
        </CatalogContext.Provider>
      ) : (
        <Loading what="the node catalog" />
      )}
    </div>
  );
}

export function App() {
  const key = useApiKey();
  return key ? <Shell /> : <SignIn />;
}
