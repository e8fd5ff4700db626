"""Blue/green traffic on an online endpoint: the rules are checked before any call, and the
commands send the intended split to the endpoint (a fake one)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from aml_fakes import FakeClient, endpoint
from aml_tool import cli, config, rollout
from aml_tool.workspace import AmlError


@pytest.fixture
def release(online: Path) -> SimpleNamespace:
    """The online bake's prod and dev settings, its endpoint's name and its model's name; the
    bake is the working directory, so the commands read its project.yml."""
    green = yaml.safe_load((online / "aml" / "endpoints" / "online" / "green.yml").read_text())
    prod = config.load_config(online / "project.yml", "prod")
    return SimpleNamespace(
        prod=prod,
        dev=config.load_config(online / "project.yml", "dev"),
        name=prod.endpoint_name,
        model=green["model"].removeprefix("azureml:").split("@")[0],
    )


@pytest.mark.parametrize(
    ("blue", "green", "message"),
    [(90, 20, r"must add up to 100, got 90 \+ 20"), (110, -10, "--blue must be between 0 and 100")],
)
def test_traffic_split_rules(blue, green, message):
    with pytest.raises(AmlError, match=message):
        rollout.traffic_split(blue, green)


def test_mirror_is_limited_to_half_of_the_traffic():
    assert rollout.mirror_split(10) == {"green": 10}
    with pytest.raises(AmlError, match="between 0 and 50 for mirroring, got 60"):
        rollout.mirror_split(60)


def test_traffic_goes_to_the_endpoint_in_one_update(release):
    client = FakeClient(endpoint=endpoint(release.name, {"blue": 100}))

    rollout.set_traffic(client, release.name, traffic=rollout.traffic_split(90, 10), echo=print)

    assert client.online_endpoints.updates == [{"traffic": {"blue": 90, "green": 10}, "mirror": {}}]


def test_no_traffic_to_a_deployment_that_does_not_exist(release):
    client = FakeClient(endpoint=endpoint(release.name, {"blue": 100}), deployments=("blue",))

    with pytest.raises(AmlError, match="deployment 'green' does not exist on the endpoint"):
        rollout.set_traffic(client, release.name, traffic={"blue": 50, "green": 50})
    assert client.online_endpoints.updates == []


def test_no_mirroring_to_a_deployment_with_live_traffic(release):
    client = FakeClient(endpoint=endpoint(release.name, {"blue": 90, "green": 10}))

    with pytest.raises(AmlError, match="'green' would get 10% live and 20% mirrored traffic"):
        rollout.set_traffic(client, release.name, mirror=rollout.mirror_split(20))
    assert client.online_endpoints.updates == []


def test_missing_endpoint_says_to_deploy_first(release):
    with pytest.raises(AmlError, match=f"online endpoint '{release.name}' not found; create it"):
        rollout.set_traffic(FakeClient(), release.name, traffic=rollout.ROLLBACK)


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
def test_traffic_commands(release, argv, before, expected, capsys):
    client = FakeClient(endpoint=endpoint(release.name, *before))

    code = cli.main(["--environment", "prod", *argv], connect=lambda _: client)

    assert (code, capsys.readouterr().err) == (0, "")
    traffic, mirror = expected
    assert client.online_endpoints.updates == [{"traffic": traffic, "mirror": mirror}]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--environment", "prod", "traffic", "--blue", "90", "--green", "20"],
            "must add up to 100, got 90 + 20",
        ),
        (["--environment", "prod", "mirror", "--green", "70"], "between 0 and 50 for mirroring"),
        (["--environment", "prod", "deploy"], "the following arguments are required: --slot"),
        (["traffic", "--blue", "90", "--green", "10"], "traffic needs --environment dev|prod"),
        (["--environment", "prod", "teardown"], "teardown deletes the whole endpoint and is for"),
    ],
    ids=["split over 100", "mirror over 50", "deploy without slot", "no environment", "teardown"],
)
def test_wrong_arguments_fail_before_logging_in(online, argv, message, capsys):
    code = cli.main(argv, connect=lambda _: pytest.fail("must not log in"))

    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (2, 1)
    assert message in err


def promote_version_7(release: SimpleNamespace, green_serves: str) -> tuple[int, FakeClient]:
    """``promote --model-version 7`` in prod while green serves version ``green_serves``."""
    client = FakeClient(
        endpoint=endpoint(release.name, {"blue": 0, "green": 100}), models=(release.model,)
    )
    client.online_deployments.items["green"].model = f"azureml:{release.model}:{green_serves}"
    argv = ["--environment", "prod", "promote", "--model-version", "7"]
    return cli.main(argv, connect=lambda _: client), client


def test_promote_deploys_the_releases_version_to_blue_and_leaves_traffic_alone(release, capsys):
    """Blue is smoke-tested by the pipeline before it gets any traffic."""
    code, client = promote_version_7(release, green_serves="7")

    assert (code, capsys.readouterr().err) == (0, "")
    assert client.online_deployments.deployed == [("blue", f"azureml:{release.model}:7", 0)]
    assert client.online_endpoints.updates == []


def test_promote_refuses_a_version_green_does_not_serve(release, capsys):
    code, client = promote_version_7(release, green_serves="6")

    assert code == 1
    assert "green serves azureml:" in capsys.readouterr().err
    assert client.online_deployments.deployed == []


def test_promote_without_a_green_deployment_says_so(release, capsys):
    client = FakeClient(endpoint=endpoint(release.name, {"blue": 100}), deployments=("blue",))

    code = cli.main(
        ["--environment", "prod", "promote", "--model-version", "7"], connect=lambda _: client
    )

    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (1, 1)
    assert "has no green deployment to promote" in err
    assert client.online_endpoints.updates == []


def test_a_first_deployment_creates_the_endpoint_without_giving_it_traffic(release, capsys):
    client = FakeClient(deployments=(), models=(release.model,))

    argv = ["--environment", "dev", "deploy", "--slot", "green", "--model-version", "7"]
    code = cli.main(argv, connect=lambda _: client)

    assert (code, capsys.readouterr().err) == (0, "")
    dev = release.dev
    ((name, model, _),) = client.online_deployments.deployed
    assert (name, model) == ("green", f"azureml:{release.model}:7")
    assert (
        client.online_deployments.items["green"].endpoint_name == dev.endpoint_name != release.name
    )
    assert client.online_deployments.items["green"].instance_type == dev.instance_type
    assert list(client.online_endpoints.items) == [dev.endpoint_name]
    assert client.online_endpoints.updates == [{"traffic": {}, "mirror": {}}], "created, no traffic"


def test_deploy_refuses_latest_a_release_names_its_version(release, capsys):
    client = FakeClient(models=(release.model,))

    argv = ["--environment", "prod", "deploy", "--slot", "green", "--model-version", "latest"]
    code = cli.main(argv, connect=lambda _: client)

    assert code == 1
    assert "--model-version must be a version number, got 'latest'" in capsys.readouterr().err


def test_rolling_back_a_first_release_deletes_green_and_serves_nothing(release, capsys):
    client = FakeClient(endpoint=endpoint(release.name, {"green": 0}), deployments=("green",))

    code = cli.main(["--environment", "prod", "rollback"], connect=lambda _: client)

    assert (code, capsys.readouterr().err) == (0, "")
    assert client.online_deployments.deleted == ["green"]
    assert client.online_endpoints.updates == [{"traffic": {"green": 0}, "mirror": {}}]


def test_green_is_retired_only_when_it_serves_nothing(release, capsys):
    busy = FakeClient(endpoint=endpoint(release.name, {"blue": 90, "green": 10}))
    idle = FakeClient(endpoint=endpoint(release.name, {"blue": 100, "green": 0}))

    assert cli.main(["--environment", "prod", "retire"], connect=lambda _: busy) == 1
    assert cli.main(["--environment", "prod", "retire"], connect=lambda _: idle) == 0
    assert (busy.online_deployments.deleted, idle.online_deployments.deleted) == ([], ["green"])


def test_the_dev_endpoint_is_torn_down_whole(release, capsys):
    dev = release.dev
    client = FakeClient(endpoint=endpoint(dev.endpoint_name, {"green": 0}))

    code = cli.main(["--environment", "dev", "teardown"], connect=lambda _: client)

    assert (code, client.online_endpoints.deleted) == (0, [dev.endpoint_name])
