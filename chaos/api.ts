/** A small REST client for the harness: JSON in and out, a deadline on every call, never throwing for an HTTP answer. */

/** One answer: status 0 when there was none (refused, reset, or the deadline passed). */
export interface Answer {
  status: number;
  body: any;
  ms: number;
  /** Why there was no answer (status 0). */
  error?: string;
}

/** Calls base+path as key with a JSON body, within timeoutMs. */
export async function call(base: string, method: string, path: string, key: string, body?: unknown, timeoutMs = 10_000): Promise<Answer> {
  const t = performance.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed, ms: performance.now() - t };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    return { status: 0, body: undefined, ms: performance.now() - t, error: err.cause?.code ?? err.name };
  }
}

/** Calls and returns `data`, or throws with the answer (setup steps that must work). */
export async function must(base: string, method: string, path: string, key: string, body?: unknown): Promise<any> {
  const a = await call(base, method, path, key, body, 30_000);
  if (a.status !== 200) throw new Error(`${method} ${path}: ${a.status} ${a.error ?? JSON.stringify(a.body)}`);
  return a.body.data;
}
