"""Admin through Kafka's admin APIs with clients nobody here wrote (confluent-kafka's
AdminClient, kafka-python's KafkaAdminClient): create, list, describe and delete topics, add
partitions, describe and alter topic configs, list, describe and delete consumer groups,
describe the cluster; and the refusals next to each (a topic that exists, a topic that does
not, fewer partitions, a bad config value)."""

from __future__ import annotations

import warnings
from typing import Any

import confluent_kafka
import kafka.admin
import kafka.errors
import pytest
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
)

from conftest import unique
from kafka_support import (
    WAIT_S,
    BrokerProcess,
    GroupMember,
    make_client,
    wait_for_stable_assignment,
)

ADMINS = ["confluent", "kafka-python"]


#: Kafka's error codes, by librdkafka's names.
K = confluent_kafka.KafkaError

#: kafka-python's KafkaAdminClient asks Metadata (v8), DescribeCluster and DescribeGroups (v3)
#: for the authorized operations; the broker answers Kafka's "not asked" value (-2147483648, bit 31), which
#: kafka-python cannot decode ("31 is not a valid ACLOperation"). A broker bug.
class AdminRefused(Exception):
    """A refusal, with Kafka's error code."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code


class Confluent:
    def __init__(self, bootstrap: str) -> None:
        self.admin = AdminClient({"bootstrap.servers": bootstrap})

    @staticmethod
    def _wait(futures: dict[Any, Any]) -> list[Any]:
        try:
            return [f.result(timeout=WAIT_S) for f in futures.values()]
        except confluent_kafka.KafkaException as err:
            raise AdminRefused(err.args[0].code(), err.args[0].str()) from err

    def create_topic(self, name: str, partitions: int, config: dict[str, str]) -> None:
        self._wait(self.admin.create_topics([NewTopic(name, partitions, 1, config=config)]))

    def topics(self) -> dict[str, int]:
        meta = self.admin.list_topics(timeout=WAIT_S)
        return {n: len(t.partitions) for n, t in meta.topics.items()}

    def describe_topic(self, name: str) -> int:
        topics = confluent_kafka.TopicCollection([name])
        (described,) = self._wait(self.admin.describe_topics(topics))
        assert described.name == name
        return len(described.partitions)

    def delete_topic(self, name: str) -> None:
        self._wait(self.admin.delete_topics([name]))

    def create_partitions(self, name: str, total: int) -> None:
        self._wait(self.admin.create_partitions([NewPartitions(name, total)]))

    def configs(self, name: str) -> dict[str, str]:
        resource = ConfigResource(ConfigResource.Type.TOPIC, name)
        (entries,) = self._wait(self.admin.describe_configs([resource]))
        return {k: e.value for k, e in entries.items()}

    def alter_configs(self, name: str, config: dict[str, str]) -> None:
        resource = ConfigResource(ConfigResource.Type.TOPIC, name, set_config=config)
        # Deprecated in favour of the incremental API, and still what older tools send.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self._wait(self.admin.alter_configs([resource]))

    def incremental_alter_configs(self, name: str, key: str, value: str) -> None:
        entry = ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
        resource = ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=[entry])
        self._wait(self.admin.incremental_alter_configs([resource]))

    def groups(self) -> set[str]:
        listed = self.admin.list_consumer_groups().result(timeout=WAIT_S)
        return {g.group_id for g in listed.valid}

    def describe_group(self, group_id: str) -> tuple[str, int]:
        (described,) = self._wait(self.admin.describe_consumer_groups([group_id]))
        return described.state.name, len(described.members)

    def delete_group(self, group_id: str) -> None:
        self._wait(self.admin.delete_consumer_groups([group_id]))

    def cluster(self) -> tuple[str, int, list[tuple[int, str, int]]]:
        described = self.admin.describe_cluster().result(timeout=WAIT_S)
        nodes = [(n.id, n.host, n.port) for n in described.nodes]
        return described.cluster_id, described.controller.id, nodes


class KafkaPython:
    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.admin = kafka.admin.KafkaAdminClient(bootstrap_servers=bootstrap)

    @staticmethod
    def _call(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except kafka.errors.KafkaError as err:
            raise AdminRefused(err.errno, str(err)) from err

    def create_topic(self, name: str, partitions: int, config: dict[str, str]) -> None:
        topic = kafka.admin.NewTopic(name, partitions, 1, topic_configs=config)
        self._call(self.admin.create_topics, [topic])

    def topics(self) -> dict[str, int]:
        # Through a consumer's Metadata, as the other adapters list topics.
        return make_client("kafka-python", self.bootstrap).topics()

    def describe_topic(self, name: str) -> int:
        (described,) = self.admin.describe_topics([name])
        if described["error_code"]:
            raise AdminRefused(described["error_code"], "describe_topics")
        return len(described["partitions"])

    def delete_topic(self, name: str) -> None:
        self._call(self.admin.delete_topics, [name])

    def create_partitions(self, name: str, total: int) -> None:
        self._call(self.admin.create_partitions, {name: kafka.admin.NewPartitions(total)})

    def configs(self, name: str) -> dict[str, str]:
        resource = kafka.admin.ConfigResource(kafka.admin.ConfigResourceType.TOPIC, name)
        (response,) = self._call(self.admin.describe_configs, [resource])
        ((error_code, _, _, _, entries),) = response.resources
        if error_code:
            raise AdminRefused(error_code, "describe_configs")
        return {e[0]: e[1] for e in entries}

    def alter_configs(self, name: str, config: dict[str, str]) -> None:
        resource = kafka.admin.ConfigResource(
            kafka.admin.ConfigResourceType.TOPIC, name, configs=config
        )
        response = self._call(self.admin.alter_configs, [resource])
        ((error_code, _, _, _),) = response.resources
        if error_code:
            raise AdminRefused(error_code, "alter_configs")

    def incremental_alter_configs(self, name: str, key: str, value: str) -> None:
        pytest.skip("kafka-python has no incremental_alter_configs")

    def groups(self) -> set[str]:
        return {g[0] for g in self.admin.list_consumer_groups()}

    def describe_group(self, group_id: str) -> tuple[str, int]:
        (described,) = self.admin.describe_consumer_groups([group_id])
        return described.state.upper(), len(described.members)

    def delete_group(self, group_id: str) -> None:
        # Each entry is (group id, the error class of its code).
        for _, error in self._call(self.admin.delete_consumer_groups, [group_id]):
            if error is not kafka.errors.NoError:
                raise AdminRefused(error.errno, error.__name__)

    def cluster(self) -> tuple[str, int, list[tuple[int, str, int]]]:
        described = self.admin.describe_cluster()
        nodes = [(b["node_id"], b["host"], b["port"]) for b in described["brokers"]]
        return described["cluster_id"], described["controller_id"], nodes


def admin_for(name: str, bootstrap: str) -> Any:
    return Confluent(bootstrap) if name == "confluent" else KafkaPython(bootstrap)


@pytest.fixture(params=ADMINS)
def admin(request: pytest.FixtureRequest, shared_kafka_broker: BrokerProcess) -> Any:
    return admin_for(str(request.param), shared_kafka_broker.bootstrap)


def refused_code(call: Any, *args: Any) -> int:
    with pytest.raises(AdminRefused) as refused:
        call(*args)
    return refused.value.code


def test_create_list_delete_a_topic(admin: Any) -> None:
    name = unique("adm")

    admin.create_topic(name, 3, {"retention.ms": "3600000"})

    assert admin.topics()[name] == 3
    assert admin.configs(name)["retention.ms"] == "3600000"
    admin.delete_topic(name)
    assert name not in admin.topics()


def test_describe_topics(request: pytest.FixtureRequest, admin: Any) -> None:
    name = unique("adm")
    admin.create_topic(name, 3, {})

    assert admin.describe_topic(name) == 3
    assert refused_code(admin.describe_topic, unique("missing")) == K.UNKNOWN_TOPIC_OR_PART


def test_creating_a_topic_that_exists_is_refused(admin: Any) -> None:
    name = unique("adm")
    admin.create_topic(name, 1, {})

    assert refused_code(admin.create_topic, name, 1, {}) == K.TOPIC_ALREADY_EXISTS
    assert admin.topics()[name] == 1


def test_deleting_a_missing_topic_is_refused(admin: Any) -> None:
    assert refused_code(admin.delete_topic, unique("missing")) == K.UNKNOWN_TOPIC_OR_PART


def test_create_partitions_grows_a_topic_and_refuses_to_shrink_it(admin: Any) -> None:
    name = unique("adm")
    admin.create_topic(name, 2, {})

    admin.create_partitions(name, 5)

    assert admin.topics()[name] == 5
    assert refused_code(admin.create_partitions, name, 3) == K.INVALID_PARTITIONS
    assert admin.topics()[name] == 5


def test_alter_configs_sets_topic_configs_and_refuses_a_bad_value(admin: Any) -> None:
    name = unique("adm")
    admin.create_topic(name, 1, {})

    admin.alter_configs(name, {"retention.ms": "120000", "cleanup.policy": "compact"})

    configs = admin.configs(name)
    assert (configs["retention.ms"], configs["cleanup.policy"]) == ("120000", "compact")
    assert refused_code(admin.alter_configs, name, {"retention.ms": "soon"}) == K.INVALID_CONFIG
    assert admin.configs(name)["retention.ms"] == "120000"


def test_incremental_alter_configs_sets_one_key(admin: Any) -> None:
    name = unique("adm")
    admin.create_topic(name, 1, {"cleanup.policy": "compact"})

    admin.incremental_alter_configs(name, "retention.ms", "240000")

    configs = admin.configs(name)
    assert (configs["retention.ms"], configs["cleanup.policy"]) == ("240000", "compact")


def test_describe_cluster_names_the_one_broker(
    request: pytest.FixtureRequest, admin: Any, shared_kafka_broker: BrokerProcess
) -> None:
    cluster_id, controller, nodes = admin.cluster()
    assert (cluster_id, controller) == ("rustlog", 0)
    assert nodes == [(0, "127.0.0.1", shared_kafka_broker.kafka_port)]


def group_with_one_member(broker: BrokerProcess, members: list[GroupMember]) -> tuple[str, GroupMember]:
    topic = broker.create_topic(unique("grp"), partitions=2)
    group_id = unique("g")
    member = GroupMember("confluent", broker.bootstrap, group_id, topic, "range")
    members.append(member)
    wait_for_stable_assignment([member], 2)
    return group_id, member


@pytest.mark.parametrize("admin_name", ADMINS)
def test_list_and_delete_consumer_groups(
    shared_kafka_broker: BrokerProcess, members: list[GroupMember], admin_name: str
) -> None:
    admin = admin_for(admin_name, shared_kafka_broker.bootstrap)
    group_id, member = group_with_one_member(shared_kafka_broker, members)

    assert group_id in admin.groups()
    # A group with members cannot be deleted.
    assert refused_code(admin.delete_group, group_id) == K.NON_EMPTY_GROUP
    member.stop()
    admin.delete_group(group_id)
    assert group_id not in admin.groups()
    assert refused_code(admin.delete_group, group_id) == K.GROUP_ID_NOT_FOUND


@pytest.mark.parametrize("admin_name", ADMINS)
def test_describe_consumer_groups(
    request: pytest.FixtureRequest,
    shared_kafka_broker: BrokerProcess,
    members: list[GroupMember],
    admin_name: str,
) -> None:
    admin = admin_for(admin_name, shared_kafka_broker.bootstrap)
    group_id, member = group_with_one_member(shared_kafka_broker, members)

    assert admin.describe_group(group_id) == ("STABLE", 1)
    member.stop()
    assert admin.describe_group(group_id) == ("EMPTY", 0)
