package io.pdaltagent.dashboard;

import io.pdaltagent.observe.AgentListener;
import io.pdaltagent.queue.QueuedItem;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Per-minute counts of accepted, delivered, retried and dead events over the last
 * {@link #MINUTES} minutes, for the dashboard's charts: a fixed ring of counters in memory (its size
 * never grows), lost on restart by design.
 *
 * <p>A slot belongs to one minute since the epoch; a slot whose minute has passed out of the window
 * is zeroed the next time it is reused, so an idle agent's old counts drop out without a timer.
 *
 * <p>Threads: the pipeline calls the listener methods from many threads and the dashboard reads
 * {@link #snapshot} from the admin listener's; every access holds this object's monitor, which
 * costs a few nanoseconds per event.
 */
public final class MinuteHistory implements AgentListener {
    /** Six hours of minutes: the "last hours" of the overview at 4 × 8 bytes × 360 = 11.5 KB. */
    public static final int MINUTES = 360;

    private static final int ACCEPTED = 0;
    private static final int DELIVERED = 1;
    private static final int RETRIED = 2;
    private static final int DEAD = 3;
    private static final String[] NAMES = {"accepted", "delivered", "retried", "dead"};

    private final Clock clock;
    private final long[][] counts = new long[NAMES.length][MINUTES];
    private final long[] minuteOfSlot = new long[MINUTES];

    public MinuteHistory(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        java.util.Arrays.fill(minuteOfSlot, -1);
    }

    @Override
    public void accepted(String path) {
        add(ACCEPTED);
    }

    @Override
    public void delivered(QueuedItem item, int status, Duration sinceAccepted) {
        add(DELIVERED);
    }

    @Override
    public void retryScheduled(QueuedItem item, int status, String error, Duration delay) {
        add(RETRIED);
    }

    @Override
    public void dead(QueuedItem item, int status, String reason) {
        add(DEAD);
    }

    private synchronized void add(int series) {
        long minute = currentMinute();
        int slot = slotFor(minute);
        counts[series][slot]++;
    }

    /** The slot of {@code minute}, zeroed first when it last held an older minute. */
    private int slotFor(long minute) {
        int slot = (int) Math.floorMod(minute, (long) MINUTES);
        if (minuteOfSlot[slot] != minute) {
            minuteOfSlot[slot] = minute;
            for (long[] series : counts) {
                series[slot] = 0;
            }
        }
        return slot;
    }

    private long currentMinute() {
        return Math.floorDiv(clock.millis(), 60_000L);
    }

    /**
     * The last {@code minutes} minutes, oldest first, the current (partial) minute last:
     * {@code {"start_minute_epoch_seconds":N,"minutes":M,"accepted":[...],"delivered":[...],"retried":[...],"dead":[...]}}.
     */
    public synchronized Map<String, Object> snapshot(int minutes) {
        if (minutes < 1 || minutes > MINUTES) {
            throw new IllegalArgumentException("minutes must be from 1 to " + MINUTES + ", was " + minutes);
        }
        long now = currentMinute();
        long first = now - minutes + 1;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("start_minute_epoch_seconds", first * 60);
        out.put("minutes", minutes);
        for (int s = 0; s < NAMES.length; s++) {
            List<Long> values = new ArrayList<>(minutes);
            for (long m = first; m <= now; m++) {
                int slot = (int) Math.floorMod(m, (long) MINUTES);
                values.add(minuteOfSlot[slot] == m ? counts[s][slot] : 0L);
            }
            out.put(NAMES[s], values);
        }
        return out;
    }
}
