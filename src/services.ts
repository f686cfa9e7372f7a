/** Every service of the API, registered on the one router. */
import type { ConnectRouter } from "@connectrpc/connect";
import { ApiKeyService } from "../gen/es/leadrouter/v1/api_keys_pb.js";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { CampaignService } from "../gen/es/leadrouter/v1/campaigns_pb.js";
import { ContractService } from "../gen/es/leadrouter/v1/contracts_pb.js";
import { EventService } from "../gen/es/leadrouter/v1/events_pb.js";
import { InboxService } from "../gen/es/leadrouter/v1/inbox_pb.js";
import { LeadService } from "../gen/es/leadrouter/v1/leads_pb.js";
import { MeService } from "../gen/es/leadrouter/v1/me_pb.js";
import { OfferService } from "../gen/es/leadrouter/v1/offers_pb.js";
import { PartnerService } from "../gen/es/leadrouter/v1/partners_pb.js";
import { PingPostService } from "../gen/es/leadrouter/v1/ping_post_pb.js";
import { RateLimitService } from "../gen/es/leadrouter/v1/rate_limits_pb.js";
import { ReportService } from "../gen/es/leadrouter/v1/reports_pb.js";
import { ReturnService } from "../gen/es/leadrouter/v1/returns_pb.js";
import { SuppressionListService } from "../gen/es/leadrouter/v1/suppression_lists_pb.js";
import { TenantService } from "../gen/es/leadrouter/v1/tenants_pb.js";
import { VerticalService } from "../gen/es/leadrouter/v1/verticals_pb.js";
import { WebhookService } from "../gen/es/leadrouter/v1/webhooks_pb.js";
import { apiKeyService } from "./api-keys/service.ts";
import { buyerService } from "./buyers/service.ts";
import { campaignService } from "./campaigns/service.ts";
import { contractService } from "./contracts/service.ts";
import { eventService } from "./events-api/service.ts";
import { inboxService } from "./inbox/service.ts";
import { pingPostService } from "./ping-post/service.ts";
import { leadService } from "./leads/service.ts";
import { meService } from "./me/service.ts";
import { offerService } from "./offers/service.ts";
import { partnerService } from "./partners/service.ts";
import type { RateLimiter } from "./pipeline/rate-limiter.ts";
import { rateLimitService } from "./rate-limits/service.ts";
import { reportService } from "./reports/service.ts";
import { returnService } from "./returns/service.ts";
import { suppressionListService } from "./suppression-lists/service.ts";
import { tenantService } from "./tenants/service.ts";
import { verticalService } from "./verticals/service.ts";
import { webhookService } from "./webhooks/service.ts";
import type { Deps } from "./deps.ts";

/** Registers the implementations; publicUrl gives the base URL partners post leads to (known once the server listens). */
export function registerServices(db: Deps, limiter: RateLimiter, publicUrl: () => string = () => ""): (router: ConnectRouter) => void {
  return (router) => {
    router.service(TenantService, tenantService(db));
    router.service(ApiKeyService, apiKeyService(db));
    router.service(MeService, meService(db));
    router.service(RateLimitService, rateLimitService(limiter));
    router.service(VerticalService, verticalService(db));
    router.service(BuyerService, buyerService(db));
    router.service(OfferService, offerService(db));
    router.service(SuppressionListService, suppressionListService(db));
    router.service(PartnerService, partnerService(db));
    router.service(CampaignService, campaignService(db, publicUrl));
    router.service(ContractService, contractService(db));
    router.service(LeadService, leadService(db));
    router.service(InboxService, inboxService(db));
    router.service(ReturnService, returnService(db));
    router.service(PingPostService, pingPostService(db));
    router.service(EventService, eventService(db));
    router.service(WebhookService, webhookService(db));
    router.service(ReportService, reportService(db));
  };
}
