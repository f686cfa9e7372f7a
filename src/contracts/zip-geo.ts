/** US ZIP centroids (npm `zipcodes`, BSD) and great-circle distances between them, for radius filters. */
import { createRequire } from "node:module";
import type * as Zipcodes from "zipcodes";

// The table is ~5 MB of JavaScript: loaded on first use, not at start-up (require keeps it once loaded).
const load = createRequire(import.meta.url);
const zipcodes = (): typeof Zipcodes => load("zipcodes") as typeof Zipcodes;

/** A point on the earth in degrees. */
export interface LatLon {
  lat: number;
  lon: number;
}

const EARTH_RADIUS_MILES = 3958.8;

/** The centroid of a five-digit US ZIP code; undefined for an unknown one. */
export function zipCentroid(zip5: string): LatLon | undefined {
  if (!/^\d{5}$/.test(zip5)) return undefined;
  const z = zipcodes().lookup(zip5);
  return z && z.country === "US" ? { lat: z.latitude, lon: z.longitude } : undefined;
}

/** Haversine distance in miles. */
export function milesBetween(a: LatLon, b: LatLon): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_MILES * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The five-digit ZIP a lead value names ("78701-1234" → "78701"); "" when it names none. */
export function zip5Of(value: unknown): string {
  const text = typeof value === "number" ? String(value).padStart(5, "0") : typeof value === "string" ? value.trim() : "";
  const m = /^(\d{5})(-?\d{4})?$/.exec(text);
  return m ? m[1] : "";
}
