/** The notes sub-resource of BuyerService: remarks operators keep about a buyer (src/standard/notes.ts). */
import type { ServiceImpl } from "@connectrpc/connect";
import { type BuyerNote, BuyerNoteSchema, type BuyerService, type ListBuyerNotesRequest } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { createdWithin, rangeKey } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { noteCreateRules, noteUpdateRules, notesOf } from "../standard/notes.ts";
import { buyerParent } from "./mapping.ts";
import type { Deps } from "../deps.ts";

/** A buyer's notes, kept in buyer_notes under the buyer. */
export const buyerNoteResource = notesOf<BuyerNote>("buyer_notes", BuyerNoteSchema, buyerParent);

type NoteMethods = "listBuyerNotes" | "getBuyerNote" | "createBuyerNote" | "updateBuyerNote" | "deleteBuyerNote";

/** List, Get, Create, Update (the body only) and Delete of buyer notes. */
export function buyerNoteMethods(db: Deps): Pick<ServiceImpl<typeof BuyerService>, NoteMethods> {
  const std = standardMethods(db, buyerNoteResource);
  return {
    listBuyerNotes: std.list((req: ListBuyerNotesRequest, buyerId) => ({
      key: { buyerId, created: rangeKey(req.created) },
      where: createdWithin(req.created),
    })),
    getBuyerNote: std.get,
    createBuyerNote: std.create(noteCreateRules()),
    updateBuyerNote: std.update(noteUpdateRules()),
    deleteBuyerNote: std.delete(),
  };
}
