/**
 * The reports benchmark's questions: each report's typical request through
 * the API (answered from the rollups) and the same question asked of the
 * raw tables (leads, lead_sales, lead_returns, partner_ledger_entries) by
 * the database owner, which RLS does not filter, so the raw side is if
 * anything flattered. Raw figures count live and test leads alike, and
 * the sub-id query's revenue is by submission time: close enough to the
 * report's answer to cost the same work.
 */

/** One question: the API path (with query string) and the raw SQL ($1 tenant, $2 from, $3 to, $4 partner). */
export interface Question {
  name: string;
  path: string;
  raw: string;
  days: number;
}

const SUMMARY = `
  SELECT l.*, s.*, r.*, p.*
  FROM (SELECT count(*) AS received, count(*) FILTER (WHERE status = 'rejected') AS rejected,
               count(*) FILTER (WHERE status = 'duplicate') AS duplicates, count(*) FILTER (WHERE status = 'sold') AS sold,
               count(*) FILTER (WHERE status = 'unsold') AS unsold
        FROM leads WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3) l,
       (SELECT count(*) AS sales, coalesce(sum(price), 0) AS revenue FROM lead_sales WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3) s,
       (SELECT count(*) AS returns, coalesce(sum(refund), 0) AS refunds, coalesce(sum(payout_reversal), 0) AS reversed
        FROM lead_returns WHERE tenant_id = $1 AND status = 'approved' AND decided_at >= $2 AND decided_at < $3) r,
       (SELECT coalesce(sum(amount), 0) AS payout FROM partner_ledger_entries
        WHERE tenant_id = $1 AND kind = 'earning' AND created_at >= $2 AND created_at < $3) p
  WHERE $4::uuid IS NOT NULL`;

/** The five questions, for a window ending at `to` (a whole hour). */
export function questions(to: Date, partnerId: string): Question[] {
  const iso = (d: Date) => encodeURIComponent(d.toISOString());
  const window = (days: number) => `from=${iso(new Date(to.getTime() - days * 86_400_000))}&to=${iso(to)}`;
  const qs: Question[] = [
    {
      name: "performance by buyer, 30 days",
      days: 30,
      path: `/api/v1/reports/performance?${window(30)}&groupBy=buyer&orderBy=${encodeURIComponent("revenue desc")}&pageSize=50`,
      raw: `
        WITH s AS (SELECT buyer_id, count(*) AS sales, sum(price) AS revenue FROM lead_sales
                   WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1),
             r AS (SELECT buyer_id, count(*) AS returns, sum(refund) AS refunds, sum(payout_reversal) AS reversed FROM lead_returns
                   WHERE tenant_id = $1 AND status = 'approved' AND decided_at >= $2 AND decided_at < $3 GROUP BY 1),
             p AS (SELECT s.buyer_id, sum(e.amount) AS payout FROM lead_sales s
                   JOIN partner_ledger_entries e ON e.lead_id = s.lead_id AND e.kind = 'earning'
                   WHERE s.tenant_id = $1 AND s.created_at >= $2 AND s.created_at < $3 GROUP BY 1)
        SELECT * FROM s FULL JOIN r USING (buyer_id) LEFT JOIN p USING (buyer_id)
        WHERE $4::uuid IS NOT NULL ORDER BY revenue DESC NULLS LAST, buyer_id LIMIT 50`,
    },
    {
      name: "time series by day, 90 days",
      days: 90,
      path: `/api/v1/reports/time-series?${window(90)}&interval=day`,
      raw: `
        WITH l AS (SELECT date_trunc('day', created_at, 'UTC') AS d, count(*) AS received, count(*) FILTER (WHERE status = 'sold') AS sold,
                          count(*) FILTER (WHERE status IN ('rejected', 'duplicate')) AS refused
                   FROM leads WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1),
             s AS (SELECT date_trunc('day', created_at, 'UTC') AS d, count(*) AS sales, sum(price) AS revenue FROM lead_sales
                   WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1),
             r AS (SELECT date_trunc('day', decided_at, 'UTC') AS d, count(*) AS returns, sum(refund) AS refunds FROM lead_returns
                   WHERE tenant_id = $1 AND status = 'approved' AND decided_at >= $2 AND decided_at < $3 GROUP BY 1)
        SELECT * FROM l FULL JOIN s USING (d) FULL JOIN r USING (d) WHERE $4::uuid IS NOT NULL ORDER BY d`,
    },
    {
      name: "one partner's sub-ids, 30 days",
      days: 30,
      path: `/api/v1/reports/performance?${window(30)}&groupBy=subId&partnerId=${partnerId}&pageSize=50`,
      raw: `
        SELECT k.sub_key, k.sub_value, count(*) AS leads, count(*) FILTER (WHERE l.status = 'sold') AS sold,
               coalesce(sum(s.price), 0) AS revenue
        FROM leads l LEFT JOIN lead_sales s ON s.lead_id = l.id
        CROSS JOIN LATERAL (VALUES ('sub1', l.sub1), ('sub2', l.sub2), ('sub3', l.sub3), ('sub4', l.sub4), ('sub5', l.sub5)) AS k(sub_key, sub_value)
        WHERE l.tenant_id = $1 AND l.partner_id = $4 AND l.created_at >= $2 AND l.created_at < $3 AND k.sub_value <> ''
        GROUP BY 1, 2 ORDER BY leads DESC, 1, 2 LIMIT 50`,
    },
    { name: "summary, 30 days", days: 30, path: `/api/v1/reports/summary?${window(30)}`, raw: SUMMARY },
    {
      name: "funnel, 30 days",
      days: 30,
      path: `/api/v1/reports/funnel?${window(30)}`,
      raw: `
        SELECT l.*, r.returns
        FROM (SELECT count(*) AS received, count(*) FILTER (WHERE status NOT IN ('rejected', 'duplicate')) AS accepted,
                     count(*) FILTER (WHERE status = 'sold') AS sold, count(*) FILTER (WHERE status = 'unsold') AS unsold
              FROM leads WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3) l,
             (SELECT count(*) AS returns FROM lead_returns r JOIN leads x ON x.id = r.lead_id
              WHERE r.tenant_id = $1 AND r.status = 'approved' AND x.created_at >= $2 AND x.created_at < $3) r
        WHERE $4::uuid IS NOT NULL`,
    },
  ];
  return qs;
}
