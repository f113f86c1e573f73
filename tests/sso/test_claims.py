"""Reading the provider's answer (sso.claims): roles from groups, refusals, the second factor. No database."""

import importlib

import pytest

from sso.claims import ROLES, claim, claims_of, decide, signed_in_since

MAP = {"Observer": ["obs"], "Customer service": ["cs", "helpdesk"], "Supervisor": ["sup"], "Admin": ["adm"]}


def decision(claims, **overrides):
    options = {"groups_claim": "groups", "role_groups": MAP, "disabled_claim": "disabled",
               "mfa_amr": ["mfa", "otp", "hwk", "swk", "fpt"], "provider": "Okta"} | overrides
    return decide(claims, **options)


def test_our_four_roles_are_the_groups_the_roles_migration_makes():
    roles = importlib.import_module("common.migrations.0003_roles").ROLES
    assert set(ROLES) == set(roles)


@pytest.mark.parametrize(("groups", "roles"), [
    (["obs"], {"Observer"}), (["helpdesk", "x"], {"Customer service"}), (["sup", "adm"], {"Supervisor", "Admin"}),
    ("sup", {"Supervisor"}),  # a single group sent as a string
])
def test_each_mapped_group_gives_its_role_and_other_groups_count_for_nothing(groups, roles):
    result = decision({"groups": groups})
    assert result.allowed and result.roles == roles


@pytest.mark.parametrize("claims", [{}, {"groups": []}, {"groups": ["everyone"]}, {"groups": None},
                                    {"roles": ["sup"]}])  # the wrong claim: the configured one is groups
def test_no_mapped_group_is_a_refusal_in_words(claims):
    result = decision(claims)
    assert not result.allowed and result.roles == frozenset()
    assert result.refusal == "Okta puts this account in no group that has a role here."


@pytest.mark.parametrize("value", [True, "true", "True", "1", "yes", 1])
def test_the_disabled_claim_refuses_even_with_a_role(value):
    result = decision({"groups": ["adm"], "disabled": value})
    assert not result.allowed and "disabled" in result.refusal


@pytest.mark.parametrize("value", [False, "false", "0", "", None, 0])
def test_a_disabled_claim_saying_no_lets_them_in(value):
    assert decision({"groups": ["adm"], "disabled": value}).allowed


def test_without_a_disabled_claim_configured_nothing_is_read_as_one():
    assert decision({"groups": ["obs"], "disabled": True}, disabled_claim="").allowed


def test_a_nested_claim_is_read_by_its_dotted_path():
    claims = {"realm_access": {"roles": ["sup", "offline_access"]}}
    assert decision(claims, groups_claim="realm_access.roles").roles == {"Supervisor"}
    assert claim(claims, "realm_access.missing") is None


@pytest.mark.parametrize(("amr", "second"), [(["pwd", "mfa"], True), (["pwd", "otp"], True), (["pwd", "hwk"], True),
                                             (["otp"], False), (["hwk"], False),  # passwordless: one factor
                                             (["pwd"], False), ([], False), (None, False), ("mfa", True)])
def test_the_second_factor_is_read_from_amr(amr, second):
    assert decision({"groups": ["obs"], "amr": amr}).second_factor is second


def test_amr_comes_from_the_id_token_and_groups_from_either():
    merged = claims_of({"id_token": {"sub": "1", "amr": ["mfa"], "groups": ["old"]},
                        "userinfo": {"sub": "1", "groups": ["obs"], "amr": ["pwd"]}})
    assert merged["amr"] == ["mfa"] and merged["groups"] == ["obs"]
    assert claims_of({"id_token": {"groups": ["sup"]}})["groups"] == ["sup"]


@pytest.mark.parametrize(("auth_time", "fresh"), [
    (1_000_100, True), (1_000_000.5, True),
    (1_000_000, False), (999_000, False),  # at or before: a sign-in the provider remembered
    (None, False), ("1000100", False), (True, False),  # absent or not a time: proves nothing
])
def test_a_re_check_counts_only_a_provider_sign_in_after_the_moment_given(auth_time, fresh):
    assert signed_in_since({"auth_time": auth_time}, 1_000_000) is fresh
