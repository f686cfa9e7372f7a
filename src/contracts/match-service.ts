/** ContractService's read-outs of routing: cap usage and :testMatch. */
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ContractCap_Metric, ContractCap_Period, type ContractService } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Db } from "../db/tenant-tx.ts";
import { withTenant } from "../pipeline/transaction.ts";
import { invalidArgument } from "../pipeline/errors.ts";
import { requireUuid } from "../standard/violations.ts";
import { capUsage } from "./caps.ts";
import { buyerFacts, evaluateEligibility, partnerExists } from "./eligibility.ts";
import type { MatchLead } from "./match.ts";
import { loadContract, present } from "./load.ts";

type Handlers = Pick<ServiceImpl<typeof ContractService>, "getContractCapUsage" | "testMatchContract">;

/** The handlers for GetContractCapUsage and TestMatchContract. */
export function matchHandlers(db: Db): Handlers {
  return {
    async getContractCapUsage(req, ctx) {
      const id = requireUuid("id", req.id);
      const at = req.at ? timestampDate(req.at) : new Date();
      return withTenant(db, ctx, async (tx) => {
        const contract = await present(tx, await loadContract(tx, id));
        const buyer = await buyerFacts(tx, contract.buyerId);
        const usage = await capUsage(tx, id, contract.caps, at, buyer?.timezone ?? "UTC");
        return {
          data: usage.map((u) => ({
            period: ContractCap_Period[u.period],
            metric: ContractCap_Metric[u.metric],
            limit: u.limit,
            used: u.used,
            remaining: u.remaining,
            windowStart: timestampFromDate(u.window.start),
            windowEnd: timestampFromDate(u.window.end),
          })),
        };
      });
    },
    async testMatchContract(req, ctx) {
      const id = requireUuid("id", req.id);
      if (!req.lead) throw invalidArgument([{ field: "lead", description: "is required: the lead's field values by key" }]);
      const partnerId = req.partnerId === "" ? "" : requireUuid("partnerId", req.partnerId);
      const c = req.consent;
      const lead: MatchLead = {
        values: req.lead,
        at: req.at ? timestampDate(req.at) : new Date(),
        createdAt: req.leadCreatedAt ? timestampDate(req.leadCreatedAt) : undefined,
        consent: c && {
          timestamp: c.timestamp ? timestampDate(c.timestamp) : undefined,
          ip: c.ip,
          userAgent: c.userAgent,
          trustedFormCertUrl: c.trustedFormCertUrl,
          jornayaLeadId: c.jornayaLeadId,
        },
      };
      return withTenant(db, ctx, async (tx) => {
        const contract = await present(tx, await loadContract(tx, id));
        if (partnerId !== "" && !(await partnerExists(tx, partnerId))) {
          throw invalidArgument([{ field: "partnerId", description: "must name a partner of your tenant" }]);
        }
        return { data: await evaluateEligibility(tx, contract, lead, partnerId) };
      });
    },
  };
}
