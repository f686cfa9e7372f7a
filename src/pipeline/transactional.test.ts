/**
 * Which RPCs run in the pipeline's tenant transaction (`in_transaction`): the
 * rule is per service, so a new RPC on a configuration resource cannot forget
 * the option, and a new service must be placed on one side or the other.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ApiKeyService } from "../../gen/es/leadrouter/v1/api_keys_pb.js";
import { BuyerService } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { CampaignService } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import { ContractService } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { InboxService } from "../../gen/es/leadrouter/v1/inbox_pb.js";
import { LeadService } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { MeService } from "../../gen/es/leadrouter/v1/me_pb.js";
import { OfferService } from "../../gen/es/leadrouter/v1/offers_pb.js";
import { PartnerService } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { PingPostService } from "../../gen/es/leadrouter/v1/ping_post_pb.js";
import { RateLimitService } from "../../gen/es/leadrouter/v1/rate_limits_pb.js";
import { ReturnService } from "../../gen/es/leadrouter/v1/returns_pb.js";
import { SuppressionListService } from "../../gen/es/leadrouter/v1/suppression_lists_pb.js";
import { TenantService } from "../../gen/es/leadrouter/v1/tenants_pb.js";
import { VerticalService } from "../../gen/es/leadrouter/v1/verticals_pb.js";
import { admitsLate } from "./admission.ts";
import { isMutation } from "./idempotency.ts";
import { rolesOf } from "./roles.ts";
import { isTransactional } from "./transactional.ts";

/** The configuration resources: every handler does all its work in one tenant transaction. */
const inTransaction: DescService[] = [
  VerticalService,
  BuyerService,
  OfferService,
  SuppressionListService,
  PartnerService,
  CampaignService,
  ContractService,
];

/** Their RPCs that reach outside the database. */
const reachesOut: DescMethod[] = [BuyerService.method.testBuyerDestination];

/**
 * The rest: the lead engine, ping-post, inbox and returns (several
 * transactions, deliveries), tenants and API keys (superadmin path), the
 * caller's own key and rate limits (no tenant transaction).
 */
const outside: DescService[] = [
  LeadService,
  PingPostService,
  InboxService,
  ReturnService,
  TenantService,
  ApiKeyService,
  MeService,
  RateLimitService,
];

const name = (m: DescMethod) => `${m.parent.name}.${m.name}`;

describe("in_transaction", () => {
  it("is declared on every RPC of a configuration resource except those that reach outside the database", () => {
    const missing = inTransaction.flatMap((s) => s.methods).filter((m) => !reachesOut.includes(m) && !isTransactional(m));
    expect(missing.map(name)).toEqual([]);
    expect(reachesOut.filter(isTransactional).map(name)).toEqual([]);
  });

  it("covers every mutation of a configuration resource", () => {
    const mutations = inTransaction.flatMap((s) => s.methods).filter(isMutation);
    expect(mutations.length).toBeGreaterThan(50);
    expect(mutations.filter((m) => !reachesOut.includes(m) && !isTransactional(m)).map(name)).toEqual([]);
  });

  it("is declared on no RPC of the other services", () => {
    expect(
      outside
        .flatMap((s) => s.methods)
        .filter(isTransactional)
        .map(name),
    ).toEqual([]);
  });

  it("is declared only on RPCs a superadmin cannot call (the pipeline's transaction is a tenant's)", () => {
    const all = [...inTransaction, ...outside].flatMap((s) => s.methods);
    expect(all.filter((m) => isTransactional(m) && rolesOf(m).has("superadmin")).map(name)).toEqual([]);
  });

  it("lets the rate limiter's verdict arrive late for exactly those RPCs and SubmitLead", () => {
    const all = [...inTransaction, ...outside].flatMap((s) => s.methods);
    const late = all.filter(admitsLate).map(name).sort();
    const expected = [...all.filter(isTransactional), LeadService.method.submitLead].map(name).sort();
    expect(late).toEqual(expected);
  });
});
