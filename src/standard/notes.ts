/**
 * Notes: the internal remarks operators keep about a resource (buyers and
 * partners have them). They are the same wherever they live: a table of
 * notes under the parent, a body of 1 to 10,000 characters, the author's key
 * recorded, only the body changing. A resource that gets notes declares them
 * with notesOf and maps its RPCs onto the standard methods with these rules.
 */
import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { each, type Parent, type Resource } from "./resource.ts";
import { table } from "./table.ts";
import { Violations } from "./violations.ts";
import type { CreateRules, UpdateRules } from "./write-methods.ts";

/** A notes row; the parent's id is in the column the parent names (buyer_id, partner_id). */
export interface NoteRow {
  id: string;
  tenant_id: string;
  body: string;
  author_key_id: string | null;
  created_at: Date;
  [parentColumn: string]: unknown;
}

/** What the rules read of a note message. */
interface NoteMessage {
  body: string;
}

const maxBody = 10_000;

/** The notes kept in table `name` under parent, shown as `schema` messages (id, the parent's id, body, author, creation time). */
export function notesOf<Msg extends Message>(name: string, schema: DescMessage, parent: Parent): Resource<NoteRow, Msg> {
  const notes = table<NoteRow>({
    name,
    columns: { id: "uuid", tenant_id: "uuid", [parent.column]: "uuid", body: "text", author_key_id: "uuid" },
    orderable: { created_at: { column: "created_at", type: "timestamptz" } },
    softDelete: true,
  });
  const toNote = (r: NoteRow) =>
    create(schema, {
      id: r.id,
      [parent.field]: r[parent.column],
      body: r.body,
      authorKeyId: r.author_key_id ?? "",
      createdAt: timestampFromDate(r.created_at),
    }) as Msg;
  return { kind: "note", field: "note", table: notes, schema, present: each(toNote), parent };
}

/** The trimmed body, or invalid_argument naming it. */
function bodyOf(note: NoteMessage): string {
  const body = note.body.trim();
  new Violations().required("body", body, maxBody).check();
  return body;
}

/** Create: the body, and the key that wrote it. */
export function noteCreateRules<Row>(): CreateRules<Row, NoteMessage, string> {
  return {
    parse: bodyOf,
    values: (body, scope) => ({ body, author_key_id: scope.principal.keyId ?? null }),
  };
}

/** Update: the body only. */
export function noteUpdateRules<Row>(): UpdateRules<Row, NoteMessage, { body?: string }> {
  return {
    updatable: ["body"],
    parse: (note, paths) => (paths.length > 0 ? { body: bodyOf(note) } : {}),
  };
}
