package io.pdaltagent.queue;

/**
 * How many kept suppressed events one ordering key has from one suppressor.
 *
 * @param by the rule, maintenance window or plugin that suppressed them
 */
public record SuppressedCount(String key, String by, long count) {
}
