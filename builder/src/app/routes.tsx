import { lazy, Suspense, type ReactNode } from "react";

import { Loading } from "../components/ui/feedback";
import { matchPath, type Location } from "../lib/router";

// Each page loads with its own code: the sign-in page and the lists do not wait for the
// canvas, its form library and the layout engine.
const AccountsPage = lazy(() =>
  import("../features/accounts/components/AccountsPage").then((m) => ({ default: m.AccountsPage })),
);
const Editor = lazy(() => import("../features/canvas/components/Editor").then((m) => ({ default: m.Editor })));
const WorkflowList = lazy(() =>
  import("../features/canvas/components/WorkflowList").then((m) => ({ default: m.WorkflowList })),
);
const ExecutionView = lazy(() =>
  import("../features/runs/components/ExecutionView").then((m) => ({ default: m.ExecutionView })),
);
const RunsList = lazy(() => import("../features/runs/components/RunsList").then((m) => ({ default: m.RunsList })));
const StartRun = lazy(() => import("../features/runs/components/StartRun").then((m) => ({ default: m.StartRun })));
const VersionHistory = lazy(() =>
  import("../features/versions/components/VersionHistory").then((m) => ({ default: m.VersionHistory })),
);

export function Page({ location }: { location: Location }) {
  return <Suspense fallback={<Loading what="the page" />}>{pageFor(location)}</Suspense>;
}

/** The page for a location: the one place features meet (they never import each other). */
function pageFor(location: Location): ReactNode {
  const { path, query } = location;
  let params: Record<string, string> | null;
  if (path === "/") return <WorkflowList />;
  if (path === "/workflows/new") return <Editor workflowId={null} />;
  if ((params = matchPath("/workflows/:id", path))) {
    return (
      <Editor key={params.id} workflowId={params.id!} versionsPanel={(context) => <VersionHistory {...context} />} />
    );
  }
  if ((params = matchPath("/workflows/:id/run", path))) return <StartRun workflowId={params.id!} />;
  if (path === "/runs")
    return <RunsList key={query.get("workflow_id") ?? ""} workflowId={query.get("workflow_id") ?? undefined} />;
  if ((params = matchPath("/runs/:id", path))) return <ExecutionView key={params.id} runId={params.id!} />;
  if (path === "/accounts") return <AccountsPage />;
  return (
    <main className="page">
      <h1>Not found</h1>
      <p>Nothing lives at {path}.</p>
    </main>
  );
}
