/**
 * The command-line tools that hand events to the agent: {@code pd-send} ({@link io.pdaltagent.cli.PdSend})
 * and the monitoring integrations. They start once per notification, often hundreds at once, so this
 * package depends on nothing but {@code java.base}, and avoids what costs start-up time (lambdas,
 * {@code invokedynamic} string concatenation, {@code java.net.http}); the build makes a class-data
 * archive of it ({@link io.pdaltagent.cli.CdsTraining}).
 *
 * <p>Every command builds an {@link io.pdaltagent.cli.OutboundEvent} and gives it to
 * {@link io.pdaltagent.cli.AgentClient}, which posts it to the agent on PagerDuty's path and, when the
 * agent cannot be reached, writes it to the agent's <b>spool</b>: {@code <data dir>/spool/}, one file
 * per event, written under a temporary name and renamed to a name that sorts by time
 * ({@code <epoch millis>-<nanos>-<pid>-<random>.event}), holding
 * {@code {"version":1,"path":…,"content_type":…,"body":…,"queued_at":…,"queued_by":…}}. The agent
 * creates {@code spool/} with mode 1733 so that every local user may write there, and imports the
 * files in name order ({@code io.pdaltagent.ingest.SpoolImporter} in pdaltagent-core). The layout is
 * described in full in {@link io.pdaltagent.cli.Spool}. Errors are {@link io.pdaltagent.cli.CliException}s:
 * exit 1 with one line, or exit 2 with the usage; options are read by {@link io.pdaltagent.cli.Args} as
 * Python's argparse read them for the tools this package replaces; JSON by {@link io.pdaltagent.cli.Json}.
 */
package io.pdaltagent.cli;
