/** Every service of the API, registered on the one router. */
import type { ConnectRouter } from "@connectrpc/connect";
import { ApiKeyService } from "../gen/es/leadrouter/v1/api_keys_pb.js";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { MeService } from "../gen/es/leadrouter/v1/me_pb.js";
import { RateLimitService } from "../gen/es/leadrouter/v1/rate_limits_pb.js";
import { TenantService } from "../gen/es/leadrouter/v1/tenants_pb.js";
import { VerticalService } from "../gen/es/leadrouter/v1/verticals_pb.js";
import { apiKeyService } from "./api-keys/service.ts";
import { buyerService } from "./buyers/service.ts";
import type { Db } from "./db/tenant-tx.ts";
import { meService } from "./me/service.ts";
import type { RateLimiter } from "./pipeline/rate-limiter.ts";
import { rateLimitService } from "./rate-limits/service.ts";
import { tenantService } from "./tenants/service.ts";
import { verticalService } from "./verticals/service.ts";

/** Registers the implementations. */
export function registerServices(db: Db, limiter: RateLimiter): (router: ConnectRouter) => void {
  return (router) => {
    router.service(TenantService, tenantService(db));
    router.service(ApiKeyService, apiKeyService(db));
    router.service(MeService, meService(db));
    router.service(RateLimitService, rateLimitService(limiter));
    router.service(VerticalService, verticalService(db));
    router.service(BuyerService, buyerService(db));
  };
}
