package io.pdaltagent.transform;

import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pdaltagent.api.EventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the plugins' {@link EventSource}s on their schedules and hands each event they return to a
 * {@link Sink} (the agent's one intake path). One thread per source, named {@code source-<name>},
 * so a source never runs twice at once; each run is bounded by the source's timeout. A run that
 * throws or times out is logged and counted, and the next run happens on schedule.
 */
public final class SourceRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SourceRunner.class);
    /** Events one run may return; more is a runaway source. */
    static final int MAX_EVENTS_PER_RUN = 10_000;
    /** A cron schedule is searched this far ahead for its next fire time. */
    private static final long MAX_CRON_SEARCH_MINUTES = 366L * 24 * 60;
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    /** Where produced events go: the intake path, as if posted to {@code path}. */
    public interface Sink {
        /** Takes one event; returns null when it was stored, else why not (for the log). */
        String submit(String path, byte[] body);
    }

    private final List<EventSource> sources;
    private final Clock clock;
    private final Sink sink;
    private final Map<String, RuleStats> stats = new ConcurrentHashMap<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ExecutorService calls = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("source-call-", 0).factory());
    private final List<Thread> threads = new ArrayList<>();

    public SourceRunner(List<EventSource> sources, Clock clock, Sink sink) {
        this.sources = List.copyOf(sources);
        this.clock = clock;
        this.sink = sink;
        for (EventSource s : sources) {
            stats.put(s.name(), new RuleStats());
            EventSource.Schedule sch = s.schedule();
            if (sch == null || (sch.interval() == null) == (sch.cron() == null)) {
                throw new io.pdaltagent.config.ConfigException("PDAGENTD_PLUGINS_DIR: event source " + s.name()
                        + " needs a schedule: Schedule.every(interval) or Schedule.cron(expression, zone)");
            }
            if (sch.cron() != null) {
                try {
                    CronSchedule.parse(sch.cron());
                    ZoneId.of(sch.timezone());
                } catch (RuntimeException e) {
                    throw new io.pdaltagent.config.ConfigException("PDAGENTD_PLUGINS_DIR: event source " + s.name()
                            + ": " + e.getMessage());
                }
            }
        }
    }

    public void start() {
        for (EventSource s : sources) {
            threads.add(Thread.ofPlatform().name("source-" + s.name()).daemon(true).start(new Loop(s)));
        }
    }

    /** Counters by source name: matched = events produced and stored, failed = failed runs or events. */
    public Map<String, RuleStats> stats() {
        return stats;
    }

    /** The next time {@code s} runs after {@code last}. */
    Instant next(EventSource.Schedule s, Instant last) {
        if (s.interval() != null) {
            return last.plus(s.interval());
        }
        CronSchedule cron = CronSchedule.parse(s.cron());
        ZoneId zone = ZoneId.of(s.timezone());
        MaintenanceWindow w = MaintenanceWindow.recurring("source", Condition.ALWAYS, zone, cron, Duration.ofMinutes(1));
        Instant m = last.truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
        for (long i = 0; i < MAX_CRON_SEARCH_MINUTES; i++, m = m.plus(1, ChronoUnit.MINUTES)) {
            if (w.firesAt(m)) {
                return m;
            }
        }
        return Instant.MAX;
    }

    /** One run of a source: fetch (bounded), then submit each event. */
    void runOnce(EventSource source) {
        RuleStats st = stats.get(source.name());
        long t0 = System.nanoTime();
        try {
            Future<List<EventSource.Event>> call = calls.submit(source::fetchEvents);
            List<EventSource.Event> events;
            try {
                events = call.get(source.timeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                call.cancel(true);
                st.failed.increment();
                LOG.warn("Event source {} did not finish within {}; its next run is on schedule", source.name(),
                        source.timeout());
                return;
            } catch (ExecutionException e) {
                st.failed.increment();
                LOG.warn("Event source {} failed: {}; its next run is on schedule", source.name(), e.getCause().toString());
                return;
            }
            if (events == null) {
                return;
            }
            int n = 0;
            for (EventSource.Event ev : events) {
                if (n++ >= MAX_EVENTS_PER_RUN) {
                    st.failed.increment();
                    LOG.warn("Event source {} returned more than {} events; the rest are dropped", source.name(),
                            MAX_EVENTS_PER_RUN);
                    break;
                }
                String problem;
                try {
                    problem = ev == null || ev.path() == null || ev.body() == null ? "an event without path or body"
                            : sink.submit(ev.path(), MAPPER.writeValueAsBytes(ev.body()));
                } catch (Exception e) {
                    problem = e.toString();
                }
                if (problem == null) {
                    st.matched.increment();
                } else {
                    st.failed.increment();
                    LOG.warn("An event of source {} was not queued: {}", source.name(), problem);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            st.failed.increment();
            LOG.warn("Event source {} could not be run: {}", source.name(), e.toString());
        } finally {
            st.nanos.add(System.nanoTime() - t0);
        }
    }

    /** Waits for each run's time, then runs, until {@link #close}. */
    private final class Loop implements Runnable {
        private final EventSource source;

        Loop(EventSource source) {
            this.source = source;
        }

        @Override
        public void run() {
            Instant last = clock.instant();
            try {
                while (true) {
                    Instant at = next(source.schedule(), last);
                    long waitMillis = Math.max(0, Duration.between(clock.instant(), at).toMillis());
                    if (stopped.await(waitMillis, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                    last = at;
                    runOnce(source);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stopped.countDown();
        calls.shutdownNow();
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
