package io.pdaltagent.config;

/** A setting that cannot be used; the message names the variable and says what is wrong. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
