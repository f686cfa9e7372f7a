/** Partner notes: internal remarks about a partner (src/standard/notes.ts); admins only, below the route too. */
import type { ServiceImpl } from "@connectrpc/connect";
import { type PartnerNote, PartnerNoteSchema, type PartnerService } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { standardMethods } from "../standard/methods.ts";
import { noteCreateRules, noteUpdateRules, notesOf } from "../standard/notes.ts";
import { partnerParent } from "./mapping.ts";
import type { Deps } from "../deps.ts";

/** A partner's notes, kept in partner_notes under the partner. */
export const partnerNoteResource = notesOf<PartnerNote>("partner_notes", PartnerNoteSchema, partnerParent);

type NoteMethods = "listPartnerNotes" | "getPartnerNote" | "createPartnerNote" | "updatePartnerNote" | "deletePartnerNote";

/** List, Get, Create, Update (the body only) and Delete of partner notes. */
export function partnerNoteMethods(db: Deps): Pick<ServiceImpl<typeof PartnerService>, NoteMethods> {
  const std = standardMethods(db, partnerNoteResource);
  return {
    listPartnerNotes: std.list((_req, partnerId) => ({ key: { partnerId }, where: [] })),
    getPartnerNote: std.get,
    createPartnerNote: std.create(noteCreateRules()),
    updatePartnerNote: std.update(noteUpdateRules()),
    deletePartnerNote: std.delete(),
  };
}
