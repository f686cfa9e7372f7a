/** Partner notes: internal remarks about a partner (List, Get, Create, Update, Delete); admins only, below the route too. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { type PartnerNote, PartnerNoteSchema, type PartnerService } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { type Db, type Tx, withTenant } from "../db/tenant-tx.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { requirePartner } from "./store.ts";

/** A partner_notes row. */
export interface NoteRow {
  id: string;
  tenant_id: string;
  partner_id: string;
  body: string;
  author_key_id: string | null;
  created_at: Date;
}

/** The standard queries on partner_notes. */
export const notes = table<NoteRow>({
  name: "partner_notes",
  columns: { id: "uuid", tenant_id: "uuid", partner_id: "uuid", body: "text", author_key_id: "uuid" },
  orderable: { created_at: { column: "created_at", type: "timestamptz" } },
  softDelete: true,
});

/** The API shape of a note. */
export function toNote(r: NoteRow): PartnerNote {
  return create(PartnerNoteSchema, {
    id: r.id,
    partnerId: r.partner_id,
    body: r.body,
    authorKeyId: r.author_key_id ?? "",
    createdAt: timestampFromDate(r.created_at),
  });
}

/** The live partner's note with this id (locked when asked), or not_found. */
async function noteOf(tx: Tx, partnerId: string, id: string, lock = false): Promise<NoteRow> {
  await requirePartner(tx, partnerId);
  const note = await notes.get(tx, id, lock);
  if (!note || note.partner_id !== partnerId) throw notFound("note", id);
  return note;
}

type NoteMethods = "listPartnerNotes" | "getPartnerNote" | "createPartnerNote" | "updatePartnerNote" | "deletePartnerNote";

/** The note handlers of PartnerService. */
export function noteHandlers(db: Db): Pick<ServiceImpl<typeof PartnerService>, NoteMethods> {
  return {
    async listPartnerNotes(req, ctx: HandlerContext) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      return withTenant(db, ctx, async (tx, p) => {
        await requirePartner(tx, partnerId);
        const page = pageOf(req, p.tenantId ?? "", notes.spec.orderable, { partnerId });
        const { rows, pagination } = paginate(await notes.list(tx, [sql.fragment`partner_id = ${partnerId}`], page), page);
        return { data: rows.map(toNote), pagination };
      });
    },
    async getPartnerNote(req, ctx) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => ({ data: toNote(await noteOf(tx, partnerId, id)) }));
    },
    async createPartnerNote(req, ctx) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      if (!req.note) throw invalidArgument([{ field: "note", description: "is required" }]);
      const body = req.note.body.trim();
      new Violations().required("body", body, 10_000).check();
      return withTenant(db, ctx, async (tx, p) => {
        const partner = await requirePartner(tx, partnerId);
        const row = await notes.insert(tx, {
          id: newId(),
          tenant_id: partner.tenant_id,
          partner_id: partnerId,
          body,
          author_key_id: p.keyId ?? null,
        });
        return { data: toNote(row) };
      });
    },
    async updatePartnerNote(req, ctx) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      if (!req.note) throw invalidArgument([{ field: "note", description: "is required" }]);
      const id = requireUuid("id", req.note.id);
      const paths = resolveMask(req.updateMask, PartnerNoteSchema, req.note, ["body"]);
      const body = req.note.body.trim();
      if (paths.length > 0) new Violations().required("body", body, 10_000).check();
      return withTenant(db, ctx, async (tx) => {
        const note = await noteOf(tx, partnerId, id, true);
        return { data: toNote((paths.length > 0 ? await notes.update(tx, id, { body }) : note) ?? note) };
      });
    },
    async deletePartnerNote(req, ctx) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const note = await noteOf(tx, partnerId, id);
        return { data: toNote((await notes.remove(tx, id)) ?? note) };
      });
    },
  };
}
