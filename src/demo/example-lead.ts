/** The leads the demo uses: the README's example lead, and the one the demo sells first to fill a cap. */

/** The README's example lead (a contact lead from Texas), as a partner posts it. */
export function readmeLead(): Record<string, unknown> {
  return {
    firstName: "Alex",
    lastName: "Rivera",
    email: "alex.rivera@example.com",
    phone: "+15125551212",
    state: "TX",
    zip: "78701",
    consent: { timestamp: "2026-04-18T14:32:07.000Z", ip: "198.51.100.42", userAgent: "Mozilla/5.0" },
  };
}

/** Another Texan, not a duplicate of the README's lead (other email, other phone): the demo sells it to fill a cap. */
export function firstLead(): Record<string, unknown> {
  return {
    firstName: "Jordan",
    lastName: "Lee",
    email: "jordan.lee@example.com",
    phone: "+15125550123",
    state: "TX",
    zip: "78704",
    consent: { timestamp: "2026-04-18T14:30:00.000Z", ip: "198.51.100.7", userAgent: "Mozilla/5.0" },
  };
}
