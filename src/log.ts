/** The process logger: pino, JSON lines on stdout. */
import { pino, type Logger } from "pino";

/** Creates the logger at the configured level. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "lead-router" } });
}
