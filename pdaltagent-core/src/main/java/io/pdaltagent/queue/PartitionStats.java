package io.pdaltagent.queue;

/**
 * One partition of a partitioned backend (RabbitMQ), for metrics.
 *
 * @param name the partition's queue name
 * @param ready messages waiting in the broker, not yet taken by any agent
 * @param held messages this agent's consumer holds (pending, in flight or waiting for a retry)
 */
public record PartitionStats(String name, long ready, long held) {
}
