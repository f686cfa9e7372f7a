/** What the demo prints: where the server is, the keys, what the tenant holds, and the command that sells the README's lead. */
import type { DemoWorld } from "./setup.ts";
import { curlCommand, type DemoRequest } from "./submit-request.ts";

/** How the demo reached its server. */
export interface DemoServer {
  url: string;
  /** true when the demo started the server itself (it serves until Ctrl-C). */
  ownServer: boolean;
  /** The superadmin key, shown when the demo made it up. */
  generatedSuperadminKey?: string;
}

/** The demo's output, ending with the one curl command. */
export function demoText(server: DemoServer, world: DemoWorld, request: DemoRequest): string {
  const lines = [
    "",
    server.ownServer
      ? `Lead Router is running on ${server.url} (started by the demo; Ctrl-C stops it). API reference: ${server.url}/docs`
      : `Lead Router at ${server.url}`,
    "",
    `Demo tenant "${world.tenantName}" (${world.tenantId})`,
    ...(server.generatedSuperadminKey ? [`  superadmin key  ${server.generatedSuperadminKey}  (valid while this server runs)`] : []),
    `  admin key       ${world.adminKey}`,
    `  partner key     ${world.partnerKey}`,
    `  campaign        ${world.campaignId}`,
    `  posting key     ${world.postingKey}`,
    "",
    "  vertical  Contact (template contact): firstName, lastName, email, phone, state, zip",
    "  offer     Contact leads, exclusive: contracts are offered each lead in priority order (waterfall)",
    ...world.buyers.map((b, i) => `    ${i + 1}. ${b.name}, contract "${b.contract}" at ${b.price}: ${b.shows}`),
    `  each buyer is funded with 500.00 and delivers to the server's sandbox buyer, ${world.sandboxUrl}`,
    "  partner   Demo Media, campaign Demo Media contact form, payout 10.00 a sold lead",
    "",
    "Sell the README's example lead (as the partner):",
    "",
    curlCommand(request),
    "",
  ];
  return lines.join("\n");
}
