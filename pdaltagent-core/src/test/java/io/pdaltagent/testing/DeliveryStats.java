package io.pdaltagent.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters that stay cheap at a million events: totals, per-key counts and the per-key order check
 * over {@code seq}. Lock-free; one {@link KeyTrack} per routing key.
 *
 * <p>Order check, over accepted (2xx) events only, since PagerDuty ingests nothing else: a
 * {@code seq} above the highest seen for the key moves it up; one equal to it is a duplicate (a
 * redelivery, harmless because of the dedup key); one below it is an order violation.
 */
final class DeliveryStats {
    /** How many order violations are described in {@link #violationSamples()}. */
    private static final int MAX_SAMPLES = 20;

    private final ConcurrentHashMap<String, KeyTrack> keys = new ConcurrentHashMap<>();
    private final LongAdder count = new LongAdder();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder violations = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final List<String> samples = new ArrayList<>();

    /** Per-key counters and the highest {@code seq} accepted for the key. */
    static final class KeyTrack {
        final AtomicInteger received = new AtomicInteger();
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicLong highestSeq = new AtomicLong(Long.MIN_VALUE);
    }

    void add(ReceivedEvent e) {
        count.increment();
        if (e.accepted()) {
            accepted.increment();
        }
        if (e.routingKey() == null) {
            return;
        }
        KeyTrack track = keys.computeIfAbsent(e.routingKey(), k -> new KeyTrack());
        track.received.incrementAndGet();
        if (!e.accepted()) {
            return;
        }
        track.accepted.incrementAndGet();
        if (e.seq() != null) {
            checkOrder(e, track, e.seq());
        }
    }

    private void checkOrder(ReceivedEvent e, KeyTrack track, long seq) {
        long highest = track.highestSeq.get();
        while (seq > highest) {
            if (track.highestSeq.compareAndSet(highest, seq)) {
                return;
            }
            highest = track.highestSeq.get();
        }
        if (seq == highest) {
            duplicates.increment();
            return;
        }
        violations.increment();
        synchronized (samples) {
            if (samples.size() < MAX_SAMPLES) {
                samples.add("key " + e.routingKey() + ": seq " + seq + " after " + highest + " (request #" + e.index() + ")");
            }
        }
    }

    long count() {
        return count.sum();
    }

    long accepted() {
        return accepted.sum();
    }

    int keys() {
        return keys.size();
    }

    long orderViolations() {
        return violations.sum();
    }

    long duplicates() {
        return duplicates.sum();
    }

    int received(String routingKey) {
        KeyTrack t = keys.get(routingKey);
        return t == null ? 0 : t.received.get();
    }

    int accepted(String routingKey) {
        KeyTrack t = keys.get(routingKey);
        return t == null ? 0 : t.accepted.get();
    }

    /** Accepted events per routing key, sorted by key. */
    Map<String, Integer> acceptedByKey() {
        Map<String, Integer> out = new TreeMap<>();
        keys.forEach((k, t) -> out.put(k, t.accepted.get()));
        return out;
    }

    List<String> violationSamples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    void clear() {
        keys.clear();
        count.reset();
        accepted.reset();
        violations.reset();
        duplicates.reset();
        synchronized (samples) {
            samples.clear();
        }
    }
}
