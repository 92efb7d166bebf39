import { lazy, Suspense, type ReactNode } from "react";

import { Loading } from "../components/ui/feedback";
import { prefetchWorkflow } from "../features/canvas/api/workflows";
import { matchPath, type Location } from "../lib/router";

// Each page loads with its own code: the sign-in page and the lists do not wait for the
// canvas, its form library and the layout engine.
const code = {
  accounts: () => import("../features/accounts/components/AccountsPage"),
  editor: () => import("../features/canvas/components/Editor"),
  workflows: () => import("../features/canvas/components/WorkflowList"),
  execution: () => import("../features/runs/components/ExecutionView"),
  runs: () => import("../features/runs/components/RunsList"),
  startRun: () => import("../features/runs/components/StartRun"),
  versions: () => import("../features/versions/components/VersionHistory"),
};
const AccountsPage = lazy(() => code.accounts().then((m) => ({ default: m.AccountsPage })));
const Editor = lazy(() => code.editor().then((m) => ({ default: m.Editor })));
const WorkflowList = lazy(() => code.workflows().then((m) => ({ default: m.WorkflowList })));
const ExecutionView = lazy(() => code.execution().then((m) => ({ default: m.ExecutionView })));
const RunsList = lazy(() => code.runs().then((m) => ({ default: m.RunsList })));
const StartRun = lazy(() => code.startRun().then((m) => ({ default: m.StartRun })));
const VersionHistory = lazy(() => code.versions().then((m) => ({ default: m.VersionHistory })));

/** Starts loading what the page at `location` needs, when the app starts: its code and a
 * workflow's graph load while the catalog does, not one after the other. */
export function preloadPage({ path }: Location): void {
  const ignore = () => undefined; // the page itself loads it again and reports the error
  let params: Record<string, string> | null;
  if ((params = matchPath("/workflows/:id", path)) && params.id !== "new") {
    prefetchWorkflow(params.id!);
    code.editor().catch(ignore);
    code.versions().catch(ignore);
  } else if (matchPath("/runs/:id", path)) code.execution().catch(ignore);
}

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
