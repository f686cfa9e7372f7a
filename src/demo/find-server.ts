/** Is a Lead Router answering at a URL? Its health check, and its served contract's title to tell it from any other server. */

interface Probe {
  status?: unknown;
  info?: { title?: unknown };
}

/** true when url answers /healthz with {"status":"ok"} and serves the Lead Router OpenAPI document. */
export async function isLeadRouter(url: string): Promise<boolean> {
  const get = async (path: string): Promise<Probe | undefined> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(3_000) });
    return res.status === 200 ? ((await res.json()) as Probe) : undefined;
  };
  try {
    const health = await get("/healthz");
    if (health?.status !== "ok") return false;
    const spec = await get("/openapi.json");
    return typeof spec?.info?.title === "string" && spec.info.title.startsWith("Lead Router");
  } catch {
    return false;
  }
}
