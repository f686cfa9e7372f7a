/**
 * google.api.http path templates (google/api/http.proto):
 *   Template = "/" Segments [ Verb ] ; Segment = "*" | "**" | LITERAL | Variable ;
 *   Variable = "{" FieldPath [ "=" Segments ] "}" ; Verb = ":" LITERAL ;
 * compiled to a matcher that returns the variables' field paths and values.
 */

/** A compiled template. */
export interface PathTemplate {
  source: string;
  verb: string | undefined;
  /** Field paths of the variables, in order (e.g. ["buyer.id"]). */
  variables: string[];
  /** Literal segment count, for literal-first ordering of ambiguous routes. */
  literals: number;
  /** The literal text before the first variable: a cheap test before the regular expression. */
  prefix: string;
  /** The variables' raw values (still percent-encoded; decodePathValue decodes them) by field path, if the path matches. */
  match(path: string): Map<string, string> | undefined;
}

/**
 * A path variable's value, percent-decoded; a multi-segment value keeps "/"
 * as its separator. Undefined when the encoding is malformed (a cut-off
 * escape, bytes that are not UTF-8), which is the client's mistake.
 */
export function decodePathValue(raw: string): string | undefined {
  try {
    return raw.split("/").map(decodeURIComponent).join("/");
  } catch {
    return undefined;
  }
}

const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=@-]+$/;

function segmentPattern(seg: string, last: boolean): string {
  if (seg === "*") return "[^/]+";
  if (seg === "**") {
    if (!last) throw new Error("** must be the last segment");
    return ".+";
  }
  if (!LITERAL.test(seg)) throw new Error(`bad literal segment "${seg}"`);
  return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Parses and compiles a template; throws on templates http.proto does not allow. */
export function compileTemplate(source: string): PathTemplate {
  if (!source.startsWith("/")) throw new Error(`template must start with "/": ${source}`);
  let body = source.slice(1);
  let verb: string | undefined;
  const lastSlash = body.lastIndexOf("/");
  const colon = body.indexOf(":", lastSlash);
  const closeBrace = body.lastIndexOf("}");
  if (colon > closeBrace && colon > lastSlash) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
  }
  const variables: string[] = [];
  let literals = 0;
  const parts: string[] = [];
  // Split on "/" outside braces.
  const segs = body.match(/\{[^}]*\}|[^/]+/g) ?? [];
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg.startsWith("{")) {
      const [path, sub] = seg.slice(1, -1).split("=", 2);
      if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/.test(path)) throw new Error(`bad variable "${seg}"`);
      variables.push(path);
      const subSegs = (sub ?? "*").split("/");
      parts.push(`(${subSegs.map((s, j) => segmentPattern(s, last && j === subSegs.length - 1)).join("/")})`);
    } else {
      if (seg !== "*" && seg !== "**") literals++;
      parts.push(segmentPattern(seg, last));
    }
  });
  const re = new RegExp(`^/${parts.join("/")}$`);
  const firstVariable = body.search(/[{*]/);
  return {
    source,
    verb,
    variables,
    literals,
    prefix: `/${firstVariable < 0 ? body : body.slice(0, firstVariable)}`,
    match(path) {
      const m = re.exec(path);
      if (!m) return undefined;
      return new Map(variables.map((v, i) => [v, m[i + 1]]));
    },
  };
}

/** Splits a request path into the path proper and its custom verb (after the last ":" of the last segment). */
export function splitVerb(path: string): { path: string; verb: string | undefined } {
  const lastSlash = path.lastIndexOf("/");
  const colon = path.indexOf(":", lastSlash);
  return colon < 0 ? { path, verb: undefined } : { path: path.slice(0, colon), verb: path.slice(colon + 1) };
}
