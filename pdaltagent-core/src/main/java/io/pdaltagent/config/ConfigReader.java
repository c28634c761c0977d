package io.pdaltagent.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Typed reading of one setting at a time from {@link ConfigSources}, for the section readers
 * ({@link IngestSettings}, {@link QueueSettings}, ...). Every value that is present but unusable
 * fails with a {@link ConfigException} made by {@link #bad}: {@code "KEY: why"}, and for a value
 * of the configuration file {@code "FILE:LINE: KEY: why"}. A blank value is unset and gives the
 * default, which is noted for {@code pdagentd config}.
 *
 * <p>Shapes: the single-valued readers refuse a YAML list or mapping; {@link #commaList} joins a
 * YAML list into the comma list the environment variable takes; {@link #json} takes either as JSON.
 *
 * <p>Used by one thread, during one load.
 */
final class ConfigReader {
    /** Longest a duration setting may be: a hundred years is no one's intent. */
    private static final long MAX_SECONDS = 100L * 365 * 24 * 3600;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConfigSources sources;

    ConfigReader(ConfigSources sources) {
        this.sources = sources;
    }

    /** The error for a value of {@code name} that cannot be used: names the key, and the file and line. */
    ConfigException bad(String name, String why) {
        return new ConfigException(sources.describe(name, why));
    }

    /** A single value, trimmed; {@code def} when unset. */
    String string(String name, String def) {
        ConfigSources.Value v = sources.value(name);
        if (v == null || v.text().isBlank()) {
            sources.noteDefault(name, def);
            return def;
        }
        if (v.shape() != ConfigSources.Shape.SCALAR) {
            throw bad(name, "takes a single value, not a " + shapeName(v.shape()));
        }
        return v.text().trim();
    }

    /**
     * A comma list (NO_PROXY, PDAGENTD_SCRUB_PII): the text as given, or a YAML list of scalars
     * joined with commas; null when unset or empty.
     */
    String commaList(String name) {
        ConfigSources.Value v = sources.value(name);
        if (v == null || v.text().isBlank()) {
            return null;
        }
        return switch (v.shape()) {
            case SCALAR -> v.text().trim();
            case MAP -> throw bad(name, "takes a list (a comma list, or a YAML list), not a mapping");
            case LIST -> {
                List<String> items = new ArrayList<>();
                for (JsonNode e : parse(name, v.text())) {
                    if (!e.isValueNode() || e.isNull()) {
                        throw bad(name, "every element of the list must be a single value, not " + e);
                    }
                    String item = e.asText().trim();
                    if (item.isEmpty()) {
                        throw bad(name, "the list has an empty element");
                    }
                    items.add(item);
                }
                yield items.isEmpty() ? null : String.join(",", items);
            }
        };
    }

    /** A JSON value: the text as given, or a YAML list or mapping as its JSON text; null when unset. */
    String json(String name) {
        ConfigSources.Value v = sources.value(name);
        return v == null || v.text().isBlank() ? null : v.text().trim();
    }

    Path path(String name, Path def) {
        String v = string(name, null);
        if (v == null) {
            sources.noteDefault(name, def == null ? null : def.toString());
            return def;
        }
        try {
            return Path.of(v);
        } catch (RuntimeException e) {
            throw bad(name, "'" + v + "' is not a path");
        }
    }

    int port(String name, int def) {
        return (int) number(name, def, 0, 65535);
    }

    long number(String name, long def, long min, long max) {
        String v = string(name, null);
        if (v == null) {
            sources.noteDefault(name, String.valueOf(def));
            return def;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw bad(name, "'" + v + "' is not a whole number");
        }
        if (n < min || n > max) {
            throw bad(name, n + " is out of range (" + min + " to " + max + ")");
        }
        return n;
    }

    Duration seconds(String name, long def, long min) {
        return Duration.ofSeconds(number(name, def, min, MAX_SECONDS));
    }

    Duration millis(String name, long def, long min, long max) {
        return Duration.ofMillis(number(name, def, min, max));
    }

    boolean bool(String name, boolean def) {
        String v = string(name, null);
        if (v == null) {
            sources.noteDefault(name, String.valueOf(def));
            return def;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw bad(name, "'" + v + "' is not true or false");
        };
    }

    /** An http:// or https:// URL with a host, without a trailing slash; null when unset without default. */
    URI url(String name, String def) {
        String v = string(name, def);
        if (v == null) {
            return null;
        }
        URI u;
        try {
            u = new URI(v);
        } catch (URISyntaxException e) {
            throw bad(name, "'" + v + "' is not a URL (" + e.getReason() + ")");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
            throw bad(name, "'" + v + "' is not an http:// or https:// URL with a host");
        }
        String s = u.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    /** A host name or address of this host, resolved; the text is kept by the caller. */
    InetAddress address(String name, String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw bad(name, "'" + text + "' is not an address of this host");
        }
    }

    /** A token sent in an HTTP header: printable ASCII without spaces, at least {@code minLength} long. */
    String token(String name, int minLength, String hint) {
        String t = string(name, null);
        if (t == null) {
            return null;
        }
        if (t.length() < minLength) {
            throw bad(name, "at least " + minLength + " characters" + hint);
        }
        if (!t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw bad(name, "printable ASCII without spaces only (it is sent in an HTTP header)");
        }
        return t;
    }

    /** The JSON of a value, parsed; a value that is not JSON is an error naming the setting. */
    JsonNode parse(String name, String text) {
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null) {
                throw bad(name, "empty JSON");
            }
            return n;
        } catch (IOException e) {
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw bad(name, "not JSON: " + why.lines().findFirst().orElse(""));
        }
    }

    private static String shapeName(ConfigSources.Shape shape) {
        return shape == ConfigSources.Shape.LIST ? "list" : "mapping";
    }
}
