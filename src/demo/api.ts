/** The demo's REST client: JSON over HTTP with a bearer key, nothing but the public API. */

/** One REST call's failure, with the server's error envelope in the message. */
export class DemoCallFailed extends Error {
  override name = "DemoCallFailed";
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** The fields the demo reads from an answer's `data` (each present only on the resources that have it). */
export interface Answer {
  id: string;
  secret: string;
  status: string;
  url: string;
}

interface Envelope {
  data?: unknown;
  error?: { code: string; message: string; details?: { fieldViolations?: { field: string; description: string }[] }[] };
}

function parse(text: string): Envelope | undefined {
  try {
    return JSON.parse(text) as Envelope;
  } catch {
    return undefined;
  }
}

/** Calls the API at baseUrl and returns the envelope's `data`; throws DemoCallFailed on anything but 200. */
export async function call<T = Answer>(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = parse(text);
  if (res.status !== 200 || json?.data === undefined) {
    const error = json?.error;
    const fields = (error?.details ?? []).flatMap((d) => (d.fieldViolations ?? []).map((v) => `${v.field}: ${v.description}`));
    const why = error ? `${error.code}: ${error.message}${fields.length ? ` (${fields.join("; ")})` : ""}` : text.slice(0, 300);
    throw new DemoCallFailed(`${method} ${path} answered ${res.status}, ${why}`, res.status);
  }
  return json.data as T;
}
