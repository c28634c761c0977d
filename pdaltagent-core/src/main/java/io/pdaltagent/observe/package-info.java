/**
 * What the agent tells about itself. The pipeline reports to one
 * {@link io.pdaltagent.observe.AgentListener}; {@link io.pdaltagent.observe.Metrics} (Prometheus
 * counters, a latency histogram, and queue gauges sampled at scrape time) and
 * {@link io.pdaltagent.observe.LoggingListener} (one log line per state change, rate-limited
 * warnings) are the listeners, combined with {@link io.pdaltagent.observe.AgentListener#of}.
 * {@link io.pdaltagent.observe.Mask} keeps routing keys and URL passwords out of logs.
 */
package io.pdaltagent.observe;
