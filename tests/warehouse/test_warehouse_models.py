"""Model discovery, sidecars and build order; the config seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicops.config import parse_config, referral_key, referral_variants
from clinicops.warehouse.models import LAYERS, ModelError, discover_models, load_model, order_models

SIDECAR = 'description = "d"\ngrain = "g"\nkey = ["a"]\n[columns]\na = "A."\n'


def test_discovered_models_run_in_layer_then_dependency_order() -> None:
    names = [m.qualified for m in discover_models()]
    layers = [name.split(".")[0] for name in names]
    assert layers == sorted(layers, key=LAYERS.index)
    for before, after in [
        ("staging.stg_bookings", "core.appointments"),
        ("core.infusion_sessions", "core.appointments"),
        ("core.appointments", "core.patients"),
        ("core.appointments", "core.calendar"),
        ("core.calendar", "marts.utilization_daily"),
    ]:
        assert names.index(before) < names.index(after)
    expected_core_marts = {
        "core.appointments", "core.patients", "core.infusion_sessions", "core.reviews", "core.review_snapshots",
        "core.calendar", "marts.utilization_daily", "marts.appointment_outcomes_daily", "marts.no_show_by_lead_time",
        "marts.referral_funnel_monthly", "marts.new_patients_monthly", "marts.review_ratings_monthly",
        "ops.runs", "ops.run_sources", "ops.validation_results", "ops.quarantine", "ops.freshness",
    }
    assert expected_core_marts <= set(names)


def test_references_ignore_comments_and_strings() -> None:
    model = load_model(
        "core", "x",
        "-- reads core.not_this\nselect 'marts.nor_this' as a from core.appointments join config.settings on true",
        SIDECAR,
    )
    assert model.references() == {"core.appointments", "config.settings"}


def test_a_model_may_not_read_a_later_layer() -> None:
    early = load_model("staging", "x", "select a from core.appointments", SIDECAR)
    with pytest.raises(ModelError, match="staging.x: reads core.appointments from a later layer"):
        order_models([early])


def test_a_cycle_is_refused() -> None:
    a = load_model("core", "a", "select a from core.b", SIDECAR)
    b = load_model("core", "b", "select a from core.a", SIDECAR)
    with pytest.raises(ModelError, match="cycle"):
        order_models([a, b])


def test_a_model_without_sidecar_is_refused(tmp_path: Path) -> None:
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "lonely.sql").write_text("select 1 as a")
    with pytest.raises(ModelError, match="marts.lonely: no sidecar"):
        discover_models(tmp_path)


def test_discovery_from_a_folder(tmp_path: Path) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "b.sql").write_text("select a from core.a;\n")
    (tmp_path / "core" / "b.toml").write_text(SIDECAR)
    (tmp_path / "core" / "a.sql").write_text("select a from core.c")
    (tmp_path / "core" / "a.toml").write_text(SIDECAR)
    (tmp_path / "core" / "c.sql").write_text("select 1 as a")
    (tmp_path / "core" / "c.toml").write_text(SIDECAR)
    models = discover_models(tmp_path)
    assert [m.qualified for m in models] == ["core.c", "core.a", "core.b"]
    assert models[2].sql == "select a from core.a"  # the trailing ';' is dropped


def test_referral_keys() -> None:
    assert referral_key("  GOOGLE search!! ") == "googlesearch"
    assert referral_key("Psychology-Today") == "psychologytoday"
    config = parse_config({
        "practice": {"name": "P", "timezone": "America/New_York"},
        "locations": [{"id": "L", "name": "L"}],
        "referral_sources": {"google": ["Google Ads", "g"], "other": ["???"]},
    })
    variants = dict(referral_variants(config))
    assert variants["googleads"] == "google" and variants["g"] == "google"
    assert variants["psychologytoday"] == "psychology_today"  # every canonical name is its own variant
    assert "" not in variants  # a variant with no letter or digit matches nothing


def test_a_variant_mapped_to_two_sources_is_refused() -> None:
    config = parse_config({
        "practice": {"name": "P", "timezone": "America/New_York"},
        "locations": [{"id": "L", "name": "L"}],
        "referral_sources": {"google": ["google ads"], "social_media": ["Google-Ads"]},
    })
    with pytest.raises(ValueError, match="matches both"):
        referral_variants(config)
