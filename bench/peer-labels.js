// The typing and rule labels of the orders spec, as the peer writes them (bench/peer-reconcile.js),
// shared with the contract's floor (bench/contract-floor.js) so both price the same typing work.

/** `CREATE TEMP TABLE labeled`: the live rows of `relation` (its deletes left out), typed (`t_*`) and labeled (`reasons`). */
function labeledSql(relation) {
  return `
    CREATE TEMP TABLE labeled AS
    SELECT *, concat_ws(';',
        CASE WHEN customer_id IS NULL THEN 'not_null:customer_id' WHEN t_customer_id IS NULL THEN 'bad_type:customer_id' END,
        CASE WHEN order_ts IS NULL THEN 'not_null:order_ts' WHEN t_order_ts IS NULL THEN 'bad_type:order_ts' END,
        CASE WHEN status IS NULL THEN 'not_null:status' WHEN status NOT IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded') THEN 'accepted_values:status' END,
        CASE WHEN total_amount IS NULL THEN 'not_null:total_amount' WHEN t_total_amount IS NULL THEN 'bad_type:total_amount' WHEN t_total_amount < 0 THEN 'range:total_amount' END,
        CASE WHEN cdc_ts IS NOT NULL AND t_cdc_ts IS NULL THEN 'bad_type:cdc_ts' END) AS reasons
    FROM (
      SELECT TRY_CAST(order_id AS BIGINT) AS t_order_id, TRY_CAST(customer_id AS BIGINT) AS t_customer_id,
             TRY_CAST(order_ts AS TIMESTAMP) AS t_order_ts, TRY_CAST(total_amount AS DECIMAL(12,2)) AS t_total_amount,
             TRY_CAST(cdc_ts AS TIMESTAMP) AS t_cdc_ts, *
      FROM ${relation} WHERE Op IS DISTINCT FROM 'D')`;
}

module.exports = { labeledSql };
