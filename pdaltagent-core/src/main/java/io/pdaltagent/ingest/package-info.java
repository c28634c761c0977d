/**
 * HTTP ingest: PagerDuty's event paths ({@code /v2/enqueue}, {@code /v2/change/enqueue}, the v1
 * generic path, {@code /integration/{key}/enqueue}, {@code /x-ere/{key}} and the Nagios form path),
 * answered by one Jetty core handler, {@link io.pdaltagent.ingest.IngestHandler}, with PagerDuty's
 * status codes and JSON bodies. The handler reads each body without blocking, checks it as PagerDuty
 * would (a 400 lists every problem), gives a trigger without a dedup key a new one, and answers success
 * only once the {@code queue} reports the event durable; {@link io.pdaltagent.ingest.IngestServer} runs
 * it over HTTP and HTTPS. The package depends on {@code queue} (to append), {@code observe} (listener,
 * key masking), {@code config}, Jetty and Jackson, and on nothing downstream of the queue. The
 * composition root creates the handler and the server, and chains the health and metrics handlers
 * after the ingest handler, which leaves every other path to them. {@link io.pdaltagent.ingest.SpoolImporter}
 * is ingest's second door: it imports the events that pd-send wrote to {@code <data dir>/spool/} while the
 * agent could not be reached, with the same checks, in the order they were written.
 */
package io.pdaltagent.ingest;
