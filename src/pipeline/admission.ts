/**
 * Late admission: for some RPCs the rate limiter's verdict (step 4) is still
 * on its way from Redis while the request's transaction opens. The request
 * carries the pending verdict; whatever runs it waits for the verdict before
 * the first statement a refused request must not run, and a refusal answers
 * the request's 429.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { type ContextValues, createContextKey } from "@connectrpc/connect";
import { LeadService } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { isTransactional } from "./transactional.ts";

/**
 * The rate limiter's verdict on a request, still on its way while the
 * request's transaction opens: it settles before the first statement that
 * writes, and rejects with the request's rate_limited error. Absent when the
 * verdict came first.
 */
export const admissionKey = createContextKey<Promise<void> | undefined>(undefined, { description: "admission" });

/**
 * True when the rate limiter's verdict may arrive while the request starts:
 * the RPCs in the pipeline's transaction (admitted after the transaction opens,
 * src/pipeline/transaction.ts) and SubmitLead, which waits for it before it
 * stores the lead (src/routing/service.ts).
 */
export function admitsLate(method: DescMethod): boolean {
  return method === LeadService.method.submitLead || isTransactional(method);
}

/** Waits for the rate limiter's verdict when it is still on its way (throws the request's 429). */
export async function admitted(values: ContextValues): Promise<void> {
  const verdict = values.get(admissionKey);
  if (verdict) await verdict;
}
