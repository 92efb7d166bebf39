/** A node id from its type (`x.post` gives `x_post`, then `x_post_2`, ...): ids are what
 * expressions read (`nodes.x_post`), so they stay plain words. */
export function newNodeId(type: string, taken: Set<string>): string {
  const base = type.replace(/[^A-Za-z0-9_]/g, "_") || "node";
  if (!taken.has(base)) return base;
  for (let index = 2; ; index += 1) {
    const candidate = `${base}_${index}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function edgeId(source: string, handle: string | null | undefined, target: string): string {
  return `${source}:${handle ?? "out"}->${target}`;
}
