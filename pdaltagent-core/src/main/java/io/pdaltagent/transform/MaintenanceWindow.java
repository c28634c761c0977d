package io.pdaltagent.transform;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A maintenance window: while it is open, events its condition matches are suppressed (kept, not
 * delivered) under the window's name. Either fixed ({@code start} and {@code end}, local date-times
 * in the window's time zone) or recurring ({@code cron} and {@code duration}: open from each time
 * the schedule fires, in the time zone, for the duration).
 *
 * <p><b>Edges.</b> A window is open from its start (inclusive) to its end (exclusive). On a
 * daylight-saving change: a fire time the clock skips (02:30 on a spring-forward night) fires at the
 * first instant after the gap (03:00); a fire time the clock passes twice (01:30 on a fall-back
 * night) opens the window at the first one; durations are elapsed time, so a two-hour window over
 * the change is open for two hours of real time.
 *
 * <p>Threads: {@link #isOpen} is called for every event on many threads; a recurring window's state
 * is computed at most once per minute and cached (an {@link AtomicReference} to an immutable pair).
 */
final class MaintenanceWindow {
    /** Longest recurring window: a scan over its duration runs once a minute. */
    static final Duration MAX_DURATION = Duration.ofDays(7);

    private final String name;
    private final Condition condition;
    private final ZoneId zone;
    private final Instant start;
    private final Instant end;
    private final CronSchedule cron;
    private final Duration duration;
    private final AtomicReference<Cached> cached = new AtomicReference<>(new Cached(Long.MIN_VALUE, false));

    private record Cached(long minute, boolean open) {
    }

    private MaintenanceWindow(String name, Condition condition, ZoneId zone, Instant start, Instant end,
                              CronSchedule cron, Duration duration) {
        this.name = name;
        this.condition = condition;
        this.zone = zone;
        this.start = start;
        this.end = end;
        this.cron = cron;
        this.duration = duration;
    }

    static MaintenanceWindow fixed(String name, Condition condition, ZoneId zone, LocalDateTime start,
                                   LocalDateTime end) {
        Instant s = start.atZone(zone).toInstant();
        Instant e = end.atZone(zone).toInstant();
        if (!e.isAfter(s)) {
            throw new IllegalArgumentException("end must be after start");
        }
        return new MaintenanceWindow(name, condition, zone, s, e, null, null);
    }

    static MaintenanceWindow recurring(String name, Condition condition, ZoneId zone, CronSchedule cron,
                                       Duration duration) {
        if (duration.isNegative() || duration.isZero() || duration.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("duration must be more than 0 and at most " + MAX_DURATION.toDays() + " days");
        }
        return new MaintenanceWindow(name, condition, zone, null, null, cron, duration);
    }

    String name() {
        return name;
    }

    Condition condition() {
        return condition;
    }

    /** True while the window is open at {@code now}. */
    boolean isOpen(Instant now) {
        if (cron == null) {
            return !now.isBefore(start) && now.isBefore(end);
        }
        long minute = now.getEpochSecond() / 60;
        Cached c = cached.get();
        if (c.minute() == minute) {
            return c.open();
        }
        boolean open = recurringOpen(now);
        cached.set(new Cached(minute, open));
        return open;
    }

    /** Is there a fire time f with f <= now < f + duration? Scans the minutes back over the duration. */
    private boolean recurringOpen(Instant now) {
        Instant minute = now.truncatedTo(ChronoUnit.MINUTES);
        Instant earliest = now.minus(duration);
        for (Instant m = minute; m.isAfter(earliest); m = m.minus(1, ChronoUnit.MINUTES)) {
            if (firesAt(m)) {
                return true;
            }
        }
        return false;
    }

    /** True when the schedule fires at the instant {@code m} (a whole minute), gaps included. */
    boolean firesAt(Instant m) {
        java.time.ZonedDateTime z = m.atZone(zone);
        if (!z.equals(z.withEarlierOffsetAtOverlap())) {
            return false; // the second pass over a repeated local hour: the first pass fired already
        }
        LocalDateTime local = z.toLocalDateTime();
        LocalDateTime before = LocalDateTime.ofInstant(m.minus(1, ChronoUnit.MINUTES), zone);
        if (!local.isAfter(before)) {
            return cron.matches(local);
        }
        // usually one local minute; after a spring-forward gap, every skipped minute fires now
        for (LocalDateTime t = before.plusMinutes(1); !t.isAfter(local); t = t.plusMinutes(1)) {
            if (cron.matches(t)) {
                return true;
            }
        }
        return false;
    }

    /** One line for {@code check-rules}. */
    String describe() {
        String when = cron == null ? "from " + LocalDateTime.ofInstant(start, zone) + " to " + LocalDateTime.ofInstant(end, zone)
                : "cron '" + cron + "' for " + duration;
        return "window " + name + ": " + when + " (" + zone + "), when " + condition.source();
    }
}
