/**
 * The dashboard served from the admin listener: a page and a small JSON API for operators
 * (overview with per-minute charts, keys, dead events with PagerDuty's answer and retry/purge,
 * webhook poller, effective configuration), browser sessions with CSRF tokens, and the in-memory
 * per-minute history behind the charts.
 */
package io.pdaltagent.dashboard;
