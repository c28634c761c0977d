package io.pdaltagent.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pdaltagent.config.ConfigException;
import io.pdaltagent.config.EnvConfig;
import io.pdaltagent.queue.EventQueueProvider;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Broker URLs as users write them, the agent's settings, and the partition of a key. */
class BrokerConfigTest {

    @Test
    void amqpUrlWithVhost() {
        assertThat(BrokerUrl.parse("amqp://user:p%40ss@rabbit.example:5673/prod"))
                .isEqualTo(new BrokerUrl(false, "rabbit.example", 5673, "user", "p@ss", "prod"));
    }

    @Test
    void celeryForms() {
        // PDaltagent's docker-compose: pyamqp://guest@rabbitmq//
        assertThat(BrokerUrl.parse("pyamqp://guest@rabbitmq//"))
                .isEqualTo(new BrokerUrl(false, "rabbitmq", 5672, "guest", "", "/"));
        assertThat(BrokerUrl.parse("amqp://guest:guest@localhost:5672//").vhost()).isEqualTo("/");
        assertThat(BrokerUrl.parse("amqp://localhost").vhost()).isEqualTo("/");
        assertThat(BrokerUrl.parse("amqp://h/%2F").vhost()).isEqualTo("/");
    }

    @Test
    void amqpsDefaultsToPort5671() {
        BrokerUrl u = BrokerUrl.parse("amqps://u:p@broker.example/v");
        assertThat(u.tls()).isTrue();
        assertThat(u.port()).isEqualTo(5671);
        assertThat(u.masked()).isEqualTo("amqps://u@broker.example:5671/v").doesNotContain(":p@");
    }

    @Test
    void otherSchemesAreRefused() {
        assertThatThrownBy(() -> BrokerUrl.parse("redis://localhost:6379/0")).hasMessageContaining("amqp://");
    }

    @Test
    void envConfigReadsTheBrokerSettings() {
        var q = EnvConfig.load(Map.of("CELERY_BROKER_URL", "pyamqp://guest@rabbitmq//")).queue();
        assertThat(q.brokerUrl()).isEqualTo("pyamqp://guest@rabbitmq//");
        assertThat(q.brokerPartitions()).isEqualTo(16);
        assertThat(EnvConfig.load(Map.of("PDAGENTD_BROKER_URL", "amqp://h/", "CELERY_BROKER_URL", "amqp://other/",
                "PDAGENTD_BROKER_PARTITIONS", "8")).queue())
                .satisfies(c -> {
                    assertThat(c.brokerUrl()).isEqualTo("amqp://h/");
                    assertThat(c.brokerPartitions()).isEqualTo(8);
                });
        assertThatThrownBy(() -> EnvConfig.load(Map.of("PDAGENTD_BROKER_URL", "redis://h/")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PDAGENTD_BROKER_URL");
        assertThatThrownBy(() -> EnvConfig.load(Map.of("PDAGENTD_BROKER_URL", "amqp://h/", "PDAGENTD_BROKER_PARTITIONS", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PDAGENTD_BROKER_PARTITIONS");
    }

    @Test
    void theProviderIsFoundThroughTheServiceLoader() {
        assertThat(EventQueueProvider.forUrl("pyamqp://guest@rabbitmq//")).isInstanceOf(RabbitMqQueueProvider.class);
        assertThat(EventQueueProvider.forUrl("AMQPS://h/")).isInstanceOf(RabbitMqQueueProvider.class);
    }

    @Test
    void thePartitionOfAKeyIsStableAndSpread() {
        // CRC32 of the UTF-8 bytes: the same on every agent, whatever its JVM
        assertThat(RabbitMqEventQueue.partitionOf("R0UTINGKEY0000000000000000000001", 16))
                .isEqualTo((int) (crc("R0UTINGKEY0000000000000000000001") % 16));
        int[] counts = new int[16];
        for (int i = 0; i < 16_000; i++) {
            counts[RabbitMqEventQueue.partitionOf(String.format("key%029d", i), 16)]++;
        }
        assertThat(java.util.Arrays.stream(counts).min().orElseThrow()).isGreaterThan(800);
        assertThat(java.util.Arrays.stream(counts).max().orElseThrow()).isLessThan(1200);
    }

    private static long crc(String s) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return c.getValue();
    }
}
