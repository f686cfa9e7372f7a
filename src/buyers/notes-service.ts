/** The notes sub-resource of BuyerService: remarks operators keep about a buyer. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { type BuyerNote, BuyerNoteSchema, type BuyerService } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { invalidArgument } from "../pipeline/errors.ts";
import { createdWithin, rangeKey } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { type BuyerNoteRow, buyerNotes } from "./notes-store.ts";
import { ofBuyer, requireBuyer, requireChild } from "./parent.ts";

/** The API shape of a buyer_notes row. */
export function toBuyerNote(r: BuyerNoteRow): BuyerNote {
  return create(BuyerNoteSchema, {
    id: r.id,
    buyerId: r.buyer_id,
    body: r.body,
    authorKeyId: r.author_key_id ?? "",
    createdAt: timestampFromDate(r.created_at),
  });
}

type NoteMethods = "listBuyerNotes" | "getBuyerNote" | "createBuyerNote" | "updateBuyerNote" | "deleteBuyerNote";

/** List, Get, Create, Update (the body only) and Delete of buyer notes. */
export function buyerNoteHandlers(db: Db): Pick<ServiceImpl<typeof BuyerService>, NoteMethods> {
  return {
    async listBuyerNotes(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      return withTenant(db, ctx, async (tx, p) => {
        await requireBuyer(tx, buyerId);
        const page = pageOf(req, p.tenantId ?? "", buyerNotes.spec.orderable, { buyerId, created: rangeKey(req.created) });
        const rows = await buyerNotes.list(tx, [ofBuyer(buyerId), ...createdWithin(req.created)], page);
        const { rows: pageRows, pagination } = paginate(rows, page);
        return { data: pageRows.map(toBuyerNote), pagination };
      });
    },
    async getBuyerNote(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => ({ data: toBuyerNote(await requireChild(tx, buyerNotes.get, "note", buyerId, id)) }));
    },
    async createBuyerNote(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      if (!req.note) throw invalidArgument([{ field: "note", description: "is required" }]);
      const body = req.note.body.trim();
      new Violations().required("body", body, 10_000).check();
      return withTenant(db, ctx, async (tx, p) => {
        await requireBuyer(tx, buyerId);
        const row = await buyerNotes.insert(tx, {
          id: newId(),
          tenant_id: p.tenantId,
          buyer_id: buyerId,
          body,
          author_key_id: p.keyId ?? null,
        });
        return { data: toBuyerNote(row) };
      });
    },
    async updateBuyerNote(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      if (!req.note) throw invalidArgument([{ field: "note", description: "is required" }]);
      const id = requireUuid("id", req.note.id);
      const paths = resolveMask(req.updateMask, BuyerNoteSchema, req.note, ["body"]);
      const body = req.note.body.trim();
      if (paths.length > 0) new Violations().required("body", body, 10_000).check();
      return withTenant(db, ctx, async (tx) => {
        const row = await requireChild(tx, buyerNotes.get, "note", buyerId, id, true);
        const updated = paths.length > 0 ? await buyerNotes.update(tx, id, { body }) : row;
        return { data: toBuyerNote(updated ?? row) };
      });
    },
    async deleteBuyerNote(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await requireChild(tx, buyerNotes.get, "note", buyerId, id, true);
        await buyerNotes.remove(tx, id);
        return { data: toBuyerNote(row) };
      });
    },
  };
}
