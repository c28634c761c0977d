/**
 * The dashboard served from the admin listener: a page and a small JSON API for operators
 * (overview with per-minute charts, a windowed keys table, dead events with PagerDuty's answer and
 * retry/purge of one event, a selection or a key, suppressed events, webhook poller, effective
 * configuration), browser sessions with CSRF tokens opened by a token or the password of
 * {@code PDAGENTD_ADMIN_PASSWORD_HASH} ({@link io.pdaltagent.dashboard.PasswordHash}, failed logins
 * limited by {@link io.pdaltagent.dashboard.LoginThrottle}), and the in-memory per-minute history.
 */
package io.pdaltagent.dashboard;
