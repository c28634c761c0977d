package io.pdaltagent.queue;

/**
 * How long the store's commits took, since the agent started: the durable write every {@code 202}
 * waits for. {@code slow} counts commits over {@link #SLOW_SECONDS}, nearly always a stalling disk.
 *
 * @param commits commits made
 * @param seconds their time in all (writing the rows, committing and syncing)
 * @param slow commits that took longer than {@link #SLOW_SECONDS}
 */
public record CommitStats(long commits, double seconds, long slow) {
    /** A commit longer than this is slow (and logged). */
    public static final double SLOW_SECONDS = 0.2;
}
