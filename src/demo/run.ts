/**
 * `npm run demo` (lead-router demo): sets up a demo tenant on the Lead
 * Router at LEAD_ROUTER_URL (default http://127.0.0.1:$PORT, 8080) when one
 * answers there, else starts one itself on the embedded defaults and free
 * ports and serves in the foreground until Ctrl-C. Prints the keys and the
 * curl command that sells the README's example lead.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { startApp } from "../app.ts";
import type { Config } from "../config.ts";
import { isPortFree } from "../db/free-port.ts";
import { isLeadRouter } from "./find-server.ts";
import { type DemoServer, demoText } from "./print.ts";
import { setUpDemo } from "./setup.ts";
import { submitRequest } from "./submit-request.ts";

/** The demo could not run; the message says what to change. */
export class DemoUnavailable extends Error {
  override name = "DemoUnavailable";
}

/** Runs the demo against the server it finds or starts; resolves once it printed (an own server keeps serving). */
export async function runDemo(config: Config, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const given = env.LEAD_ROUTER_URL?.replace(/\/+$/, "");
  const url = given || `http://127.0.0.1:${config.port}`;
  if (await isLeadRouter(url)) {
    if (!config.superadminKey) {
      throw new DemoUnavailable(
        `a Lead Router answers at ${url}: set LEAD_ROUTER_SUPERADMIN_KEY to the superadmin key it was started with, ` +
          "or stop it and let the demo start its own",
      );
    }
    const world = await setUpDemo(url, config.superadminKey);
    process.stdout.write(demoText({ url, ownServer: false }, world, submitRequest(world)));
    return;
  }
  if (given)
    throw new DemoUnavailable(
      `no Lead Router answers at LEAD_ROUTER_URL=${given}: start it, or unset LEAD_ROUTER_URL to let the demo start one`,
    );

  // No server: start one on the embedded defaults, on PORT when it is free, else on any free port.
  const generated = config.superadminKey ? undefined : `demo-superadmin-${randomBytes(18).toString("base64url")}`;
  const superadminKey = config.superadminKey ?? (generated as string);
  const port = (await isPortFree(config.port, config.host)) ? config.port : 0;
  if (port === 0)
    process.stdout.write(`Port ${config.port} is taken by something that is not a Lead Router: the demo's server uses a free port.\n`);
  process.stdout.write("Starting Lead Router (embedded PostgreSQL on first use takes a few seconds)...\n");
  const app = await startApp({ ...config, port, superadminKey }, log);
  const server: DemoServer = { url: app.url, ownServer: true, generatedSuperadminKey: generated };
  try {
    const world = await setUpDemo(app.url, superadminKey);
    process.stdout.write(demoText(server, world, submitRequest(world)));
  } catch (e) {
    await app.close();
    throw e;
  }
  const stop = () => {
    process.stdout.write("\nStopping the demo's Lead Router.\n");
    app.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
