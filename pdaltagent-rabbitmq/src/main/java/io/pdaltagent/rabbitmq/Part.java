package io.pdaltagent.rabbitmq;

import com.rabbitmq.client.Channel;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One partition as this agent consumes it. {@code writeLock} orders acknowledgements and markers
 * on the channel and guards the marker fields; it is never taken under the consumer's lock (a write
 * to a dying connection can block), and the consumer's lock is never taken under it. The rest is under
 * the consumer's lock ({@link ConsumerState}).
 */
final class Part {
    final int index;
    final ReentrantLock writeLock = new ReentrantLock();
    volatile Channel channel;
    /** Bumped whenever the channel is lost or replaced: held items of older generations are the broker's again. */
    volatile long gen;
    /** This agent's consumer got a delivery since it subscribed: it is the active one. */
    boolean active;
    /** Being handed over to another agent: nothing more is claimed from it. */
    boolean draining;
    /** Its retry log is read (this generation): its keys may be claimed. */
    boolean logLoaded;
    /** Keys the claim scheduler gave out while the partition was draining or its log unread: released after. */
    final java.util.Set<String> heldBack = new java.util.HashSet<>();
    /**
     * Acknowledgements sent on the channel (counted under writeLock), and how many of them a
     * confirmed marker covers (under the queue's lock). Never reset: when the channel goes,
     * everything sent so far counts as confirmed, since what was not applied comes back anyway.
     */
    volatile long acksSent;
    volatile long acksConfirmed;
    /** The outstanding marker (writeLock): its publish sequence number (-1: none), generation and coverage. */
    long markerTag = -1;
    long markerGen;
    long markerCovers;
    final ArrayDeque<String> awaiting = new ArrayDeque<>();

    Part(int index) {
        this.index = index;
    }
}
