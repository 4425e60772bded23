from datalake_glue.wap import (
    PublishDecision,
    begin_statements,
    branch_identifier,
    branch_name,
    decide_publish,
    fast_forward_sql,
    finish_statements,
    quote_identifier,
)

TABLE = "glue_catalog.silver_db.orders"
OK = {"name": "pk", "passed": True, "violations": 0}
BAD = {"name": "not_null", "passed": False, "violations": 3}


def test_publish_only_when_every_audit_passed():
    assert decide_publish([OK, OK]) == PublishDecision(True)
    decision = decide_publish([OK, BAD])
    assert not decision.publish and decision.reason == "audit failed: not_null (3)"


def test_no_audits_or_an_error_never_publish():
    assert not decide_publish([]).publish
    assert decide_publish([OK], error="boom") == PublishDecision(False, "boom")


def test_branch_name_is_deterministic_and_safe():
    assert branch_name("Run-2026/11.21") == "wap_run_2026_11_21"
    assert branch_name("r1") == branch_name("r1")


def test_begin_drops_a_stale_branch_then_creates_it():
    assert begin_statements([TABLE], "wap_r1") == [
        "ALTER TABLE `glue_catalog`.`silver_db`.`orders` DROP BRANCH IF EXISTS `wap_r1`",
        "ALTER TABLE `glue_catalog`.`silver_db`.`orders` CREATE BRANCH `wap_r1`",
    ]


def test_publish_fast_forwards_main_then_drops_branches():
    tables = [TABLE, "glue_catalog.q.quarantine_orders"]
    statements = finish_statements(tables, "wap_r1", PublishDecision(True))
    assert statements[0] == ("CALL glue_catalog.system.fast_forward(table => 'silver_db.orders', "
                             "branch => 'main', to => 'wap_r1')")
    assert [s.split()[0] for s in statements] == ["CALL", "CALL", "ALTER", "ALTER"]


def test_discard_only_drops_branches():
    statements = finish_statements([TABLE], "wap_r1", PublishDecision(False, "audit failed"))
    assert statements == ["ALTER TABLE `glue_catalog`.`silver_db`.`orders` DROP BRANCH IF EXISTS `wap_r1`"]


def test_identifiers_are_quoted_part_by_part():
    assert quote_identifier("glue_catalog.my-db.t") == "`glue_catalog`.`my-db`.`t`"
    assert branch_identifier(TABLE, "wap_r1") == "`glue_catalog`.`silver_db`.`orders`.`branch_wap_r1`"
    assert "table => 'db.t'" in fast_forward_sql("glue_catalog.db.t", "b")
