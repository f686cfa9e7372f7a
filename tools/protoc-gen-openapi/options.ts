// Plugin parameters, e.g. `package=leadrouter.v1`.

/** The parsed plugin parameters; kept tiny so buf.gen.yaml stays the single place to configure them. */
export interface PluginOptions {
  /** Only services in this proto package are documented; undefined documents every requested file. */
  readonly package: string | undefined;
}

/** Parses the comma-separated `key=value` parameter protoc hands the plugin, rejecting unknown keys. */
export function parseOptions(parameter: string): PluginOptions {
  let pkg: string | undefined;
  for (const part of parameter.split(",")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    const key = eq === -1 ? trimmed : trimmed.slice(0, eq);
    const value = eq === -1 ? "" : trimmed.slice(eq + 1);
    if (key === "package" && value !== "") {
      pkg = value;
    } else {
      throw new Error(`unknown or empty plugin option "${trimmed}" (supported: package=<proto package>)`);
    }
  }
  return { package: pkg };
}
