from pathlib import Path

import pytest

from clinicops.config import ConfigError, load_config, parse_config
from tests.practice import SMALL_PRACTICE, TOML


def test_the_documented_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "clinicops.toml"
    path.write_text(TOML)
    config = load_config(path)
    assert config.practice.timezone == "America/New_York"
    assert config.practice.late_cancel_hours == 24 and config.practice.series_size == 6
    col = config.locations[0]
    assert col.hours["mon"][0].minutes == 9 * 60 and "sat" not in col.hours
    assert config.chair_ids == {"CHAIR-1", "CHAIR-2"} and config.resource_ids == {"CHAIR-1", "CHAIR-2", "ROOM-A"}
    assert config.review_sites["yelp"].locations == {"COL": "test-practice-columbia"}


def test_the_init_template_loads(tmp_path: Path) -> None:
    from importlib import resources

    path = tmp_path / "clinicops.toml"
    path.write_text(resources.files("clinicops").joinpath("templates/clinicops.toml").read_text())
    assert load_config(path).practice.name


def _with(**changes) -> dict:
    data = {k: v for k, v in SMALL_PRACTICE.items()}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (_with(practice={"name": "X", "timezone": "Mars/Olympus"}), "practice.timezone"),
        (_with(practice={"name": "X", "timezone": "UTC", "series_size": "six"}), "practice.series_size"),
        (_with(practice={"timezone": "UTC"}), "practice.name"),
        (_with(locations=[{"id": "COL", "name": "C", "hours": {"mon": "8-17"}}]), "locations[0].hours.mon"),
        (_with(locations=[{"id": "COL", "name": "C", "hours": {"funday": "08:00-17:00"}}]),
         "locations[0].hours.funday"),
        (_with(locations=[{"id": "COL", "name": "C", "closures": ["2026-02-30"]}]), "locations[0].closures[0]"),
        (_with(locations=[{"id": "COL", "name": "C", "resources": [{"id": "C1", "kind": "sofa"}]}]),
         "locations[0].resources[0].kind"),
        (_with(providers=[{"id": "P", "name": "Dr", "location_id": "NOPE"}]), "providers[0].location_id"),
        (_with(referral_sources={"googel": ["google"]}), "referral_sources.googel"),
        (_with(appointment_types={"IV": "ketamine"}), "appointment_types"),
        (_with(review_sites={"yelp": {"NOPE": "x"}}), "review_sites.yelp.NOPE"),
        (_with(review_sites={"myspace": {}}), "review_sites.myspace"),
        (_with(surprise={}), "surprise"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_key(data: dict, key: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_config(data, "clinicops.toml")
    assert f"clinicops.toml: {key}" in str(e.value)


def test_a_missing_or_broken_file_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no configuration file"):
        load_config(tmp_path / "clinicops.toml")
    (tmp_path / "clinicops.toml").write_text("[practice\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "clinicops.toml")


@pytest.mark.parametrize(
    ("change", "key", "nearest"),
    [
        (lambda d: d["practice"].update(late_cancel_hour=12), "practice.late_cancel_hour", "late_cancel_hours"),
        (lambda d: d["locations"][0].update(hour={"mon": "08:00-12:00"}), "locations[0].hour", "hours"),
        (lambda d: d["locations"][0].setdefault("resources", []).append({"id": "C9", "kind": "chair", "kinds": 1}),
         "locations[0].resources", "kind"),
        (lambda d: d.update(notify={"webhook": "http://127.0.0.1:9/x"}), "notify.webhook", "webhook_url"),
        (lambda d: d.update(review_sites={"keep_review_txt": True}), "review_sites.keep_review_txt",
         "keep_review_text"),
        (lambda d: d.update(review_sites={"yelp": {"api_bse": "http://127.0.0.1:9"}}), "review_sites.yelp.api_bse",
         "api_base"),
        (lambda d: d.update(shedule={"cron": "0 2 * * *"}), "shedule", "schedule"),
    ],
)
def test_an_unknown_key_at_any_depth_is_refused_with_the_nearest_known_name(change, key: str, nearest: str) -> None:
    import copy

    data = copy.deepcopy(SMALL_PRACTICE)
    change(data)
    with pytest.raises(ConfigError) as e:
        parse_config(data, "clinicops.toml")
    assert f"clinicops.toml: {key}" in str(e.value)
    assert f"did you mean {nearest!r}" in str(e.value)


def test_values_keep_their_toml_type_and_the_optional_tables_have_defaults() -> None:
    import copy

    data = copy.deepcopy(SMALL_PRACTICE)
    config = parse_config(data)
    assert config.schedule.cron == "0 2 * * *" and config.runner.kind == "threads"
    assert config.notify.webhook_url is None and config.home.readers_group is None
    data["practice"]["series_size"] = "6"
    with pytest.raises(ConfigError, match="practice.series_size"):
        parse_config(data)
    data = copy.deepcopy(SMALL_PRACTICE) | {"schedule": {"cron": "0 2 * *"}}
    with pytest.raises(ConfigError, match="schedule.cron"):
        parse_config(data)
    data = copy.deepcopy(SMALL_PRACTICE) | {"runner": {"kind": "threads", "address": "tcp://127.0.0.1:8786"}}
    with pytest.raises(ConfigError, match="runner.address"):
        parse_config(data)
