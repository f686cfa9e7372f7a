/** New resource ids: UUIDv7, so ids sort by creation time and index well. */
import { uuidv7 } from "uuidv7";

/** A new UUIDv7. */
export const newId = (): string => uuidv7();
