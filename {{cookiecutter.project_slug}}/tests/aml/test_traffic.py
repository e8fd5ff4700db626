"""Blue/green traffic: the rules are checked before any call, and the commands send the
intended split to the endpoint (a fake one)."""

from __future__ import annotations

import pytest
from aml_support import AML_DIR, PROJECT_ROOT, FakeClient, endpoint

from aml_tool import (
    cli,
    config,
    endpoints,
)
from aml_tool.workspace import (
    AmlError,
)

NAME = config.load_config(PROJECT_ROOT / "project.yml").endpoint_name
ONLINE = (AML_DIR / "endpoints" / "online" / "endpoint.yml").is_file()


@pytest.mark.parametrize(
    ("blue", "green", "message"),
    [(90, 20, r"must add up to 100, got 90 \+ 20"), (110, -10, "--blue must be between 0 and 100")],
)
def test_traffic_split_rules(blue, green, message):
    with pytest.raises(AmlError, match=message):
        endpoints.traffic_split(blue, green)


def test_mirror_is_limited_to_half_of_the_traffic():
    assert endpoints.mirror_split(10) == {"green": 10}
    with pytest.raises(AmlError, match="between 0 and 50 for mirroring, got 60"):
        endpoints.mirror_split(60)


def test_traffic_goes_to_the_endpoint_in_one_update():
    client = FakeClient(endpoint=endpoint(NAME, {"blue": 100}))

    endpoints.set_traffic(client, NAME, traffic=endpoints.traffic_split(90, 10), echo=print)

    assert client.online_endpoints.updates == [{"traffic": {"blue": 90, "green": 10}, "mirror": {}}]


def test_no_traffic_to_a_deployment_that_does_not_exist():
    client = FakeClient(endpoint=endpoint(NAME, {"blue": 100}), deployments=("blue",))

    with pytest.raises(AmlError, match="deployment 'green' does not exist on the endpoint"):
        endpoints.set_traffic(client, NAME, traffic={"blue": 50, "green": 50})
    assert client.online_endpoints.updates == []


def test_no_mirroring_to_a_deployment_with_live_traffic():
    client = FakeClient(endpoint=endpoint(NAME, {"blue": 90, "green": 10}))

    with pytest.raises(AmlError, match="'green' would get 10% live and 20% mirrored traffic"):
        endpoints.set_traffic(client, NAME, mirror=endpoints.mirror_split(20))
    assert client.online_endpoints.updates == []


def test_missing_endpoint_says_to_deploy_first():
    with pytest.raises(AmlError, match=f"online endpoint '{NAME}' not found; create it"):
        endpoints.set_traffic(FakeClient(), NAME, traffic=endpoints.ROLLBACK)


@pytest.mark.skipif(not ONLINE, reason="this project has no online endpoint")
@pytest.mark.parametrize(
    ("argv", "before", "expected"),
    [
        (
            ["traffic", "--blue", "90", "--green", "10"],
            ({"blue": 100}, {}),
            ({"blue": 90, "green": 10}, {}),
        ),
        (["mirror", "--green", "10"], ({"blue": 100}, {}), ({"blue": 100}, {"green": 10})),
        (["rollback"], ({"blue": 50, "green": 50}, {}), ({"blue": 100, "green": 0}, {})),
        (["rollback"], ({"blue": 100}, {"green": 20}), ({"blue": 100, "green": 0}, {})),
    ],
    ids=["split", "mirror", "rollback split", "rollback mirror"],
)
def test_traffic_commands(argv, before, expected, capsys):
    client = FakeClient(endpoint=endpoint(NAME, *before))

    code = cli.main(argv, connect=lambda _: client)

    assert (code, capsys.readouterr().err) == (0, "")
    traffic, mirror = expected
    assert client.online_endpoints.updates == [{"traffic": traffic, "mirror": mirror}]


@pytest.mark.skipif(not ONLINE, reason="this project has no online endpoint")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["traffic", "--blue", "90", "--green", "20"], "must add up to 100, got 90 + 20"),
        (["mirror", "--green", "70"], "must be between 0 and 50 for mirroring"),
        (["deploy"], "--slot blue|green is required for the online endpoint"),
    ],
    ids=["split over 100", "mirror over 50", "deploy without slot"],
)
def test_wrong_arguments_fail_before_logging_in(argv, message, capsys):
    code = cli.main(argv, connect=lambda _: pytest.fail("must not log in"))

    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (2, 1)
    assert message in err


@pytest.mark.skipif(not ONLINE, reason="this project has no online endpoint")
def test_promote_moves_greens_model_to_blue_before_sending_all_traffic_there(capsys):
    """After promotion green is idle, so the next candidate never lands on live traffic."""
    client = FakeClient(endpoint=endpoint(NAME, {"blue": 0, "green": 100}))
    client.online_deployments.items["green"].model = "azureml:penguin-model:7"

    code = cli.main(["promote"], connect=lambda _: client)

    assert (code, capsys.readouterr().err) == (0, "")
    assert client.online_deployments.deployed == [("blue", "azureml:penguin-model:7", 0)]
    assert client.online_endpoints.updates == [{"traffic": {"blue": 100, "green": 0}, "mirror": {}}]


@pytest.mark.skipif(not ONLINE, reason="this project has no online endpoint")
def test_promote_without_a_green_deployment_says_so(capsys):
    client = FakeClient(endpoint=endpoint(NAME, {"blue": 100}), deployments=("blue",))

    code = cli.main(["promote"], connect=lambda _: client)

    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (1, 1)
    assert "has no green deployment to promote" in err
    assert client.online_endpoints.updates == []
