// Proto comments turned into OpenAPI descriptions and summaries.

import type { AnyDesc, DescFile } from "@bufbuild/protobuf";
import { getComments } from "@bufbuild/protoplugin";

const listItem = /^([-*+]|\d+[.)])\s/;
const abbreviations = /\b(e\.g|i\.e|etc|vs)$/i;

/** Normalises a raw comment: trims lines, joins wrapped lines, keeps paragraph breaks and list items. */
export function normalizeComment(raw: string): string {
  const paragraphs: string[] = [];
  let current: string[] = [];
  const flush = (): void => {
    if (current.length > 0) paragraphs.push(current.join("\n"));
    current = [];
  };
  for (const line of raw.replace(/\r\n?/g, "\n").split("\n")) {
    const text = line.trim();
    if (text === "") {
      flush();
    } else if (current.length === 0 || listItem.test(text)) {
      current.push(text);
    } else {
      current[current.length - 1] += ` ${text}`;
    }
  }
  flush();
  return paragraphs.join("\n\n");
}

/** The normalised leading comment of a descriptor, or "" when it has none. */
export function commentOf(desc: Exclude<AnyDesc, DescFile>): string {
  const leading = getComments(desc).leading;
  return leading === undefined ? "" : normalizeComment(leading);
}

/** The first sentence of a description without its final stop, used as an operation summary. */
export function firstSentence(text: string): string {
  const firstLine = text.split("\n")[0] ?? "";
  const stops = /[.!?](?=\s|$)/g;
  for (let m = stops.exec(firstLine); m !== null; m = stops.exec(firstLine)) {
    const before = firstLine.slice(0, m.index);
    if (!abbreviations.test(before)) return before.trim();
  }
  return firstLine.trim();
}

/** Joins non-empty description parts as separate paragraphs. */
export function paragraphs(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("\n\n");
}
