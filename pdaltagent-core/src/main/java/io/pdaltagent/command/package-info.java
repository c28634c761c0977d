/**
 * {@code pdagentd}'s sub-commands other than running the agent: {@code config}, {@code check-config},
 * {@code import-pdagent}, {@code --help}, {@code --version}. Each is one {@link io.pdaltagent.command.Command};
 * {@link io.pdaltagent.Main} holds the table of names. They read the configuration exactly as the agent
 * does ({@link io.pdaltagent.command.Settings}) and write only to the streams they are given.
 */
package io.pdaltagent.command;
