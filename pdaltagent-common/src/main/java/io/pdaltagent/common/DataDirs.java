package io.pdaltagent.common;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The agent's data dir, found the same way by the agent, pd-send and pd-queue:
 * {@code PDAGENTD_DATA_DIR} when set (not blank), else {@value #SYSTEM} when that directory exists
 * (a system-wide install, shared with the commands run by other users), else {@code ~/.pdaltagent}.
 * Stateless.
 */
public final class DataDirs {
    public static final String VARIABLE = "PDAGENTD_DATA_DIR";
    /** The data dir of a system-wide install (the package creates it). */
    public static final String SYSTEM = "/var/lib/pdaltagent";
    /** Under the user's home when there is no system-wide install. */
    public static final String USER_DIR_NAME = ".pdaltagent";

    private DataDirs() {
    }

    /** {@code value} (the variable's, trimmed) when not blank, else {@link #defaultDataDir()}. */
    public static Path resolve(String value) {
        if (value != null && !value.isBlank()) {
            return Path.of(value.strip());
        }
        return defaultDataDir();
    }

    /** {@value #SYSTEM} when it exists, else {@code ~/.pdaltagent}. */
    public static Path defaultDataDir() {
        Path system = Path.of(SYSTEM);
        if (Files.isDirectory(system)) {
            return system;
        }
        return Path.of(System.getProperty("user.home"), USER_DIR_NAME);
    }
}
