/**
 * Why the server (or a command) could not start, in one sentence a person
 * can act on: the setting to change is named, and the underlying error kept.
 */
import type { Config } from "./config.ts";

type SystemError = Error & { code?: string; syscall?: string; address?: string; port?: number };

/** The message for a failure of `lead-router <command>`; the cause chain's messages follow the explanation. */
export function describeFailure(e: unknown, config: Pick<Config, "host" | "port">): string {
  const err = e as SystemError;
  if (err?.syscall === "listen") {
    const where = `${err.address ?? config.host}:${err.port ?? config.port}`;
    if (err.code === "EADDRINUSE") {
      return `${where} is already in use by another process: stop it, or choose another port with PORT (e.g. PORT=8081 npm start)`;
    }
    if (err.code === "EACCES") return `not allowed to listen on ${where}: choose a port above 1023 with PORT`;
    if (err.code === "EADDRNOTAVAIL")
      return `${err.address ?? config.host} is not an address of this machine: set HOST (e.g. 127.0.0.1 or 0.0.0.0)`;
  }
  const messages: string[] = [];
  for (let c: unknown = e; c !== undefined && messages.length < 4; c = (c as Error).cause) {
    messages.push(c instanceof Error ? c.message : String(c));
    if (!(c instanceof Error)) break;
  }
  return [...new Set(messages.filter(Boolean))].join(": ") || "unknown error";
}
