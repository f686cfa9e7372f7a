/**
 * The served contract: /openapi.json and /openapi.yaml (the committed,
 * generated files, byte for byte) and /docs, Swagger UI served from the
 * swagger-ui-dist package (no CDN).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const uiDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** A static response. */
export interface Asset {
  type: string;
  body: Buffer;
}

const UI_FILES: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Lead Router API reference</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#ui",
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
});
`;

/** Loads every asset once at start-up. */
export function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  assets.set("/openapi.json", { type: "application/json", body: readFileSync(join(root, "gen/openapi/openapi.json")) });
  assets.set("/openapi.yaml", { type: "application/yaml", body: readFileSync(join(root, "gen/openapi/openapi.yaml")) });
  assets.set("/docs", { type: "text/html; charset=utf-8", body: Buffer.from(PAGE) });
  assets.set("/docs/init.js", { type: "text/javascript; charset=utf-8", body: Buffer.from(INIT) });
  for (const [file, type] of Object.entries(UI_FILES)) {
    assets.set(`/docs/${file}`, { type, body: readFileSync(join(uiDir, file)) });
  }
  return assets;
}
