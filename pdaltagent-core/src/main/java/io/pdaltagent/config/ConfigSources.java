package io.pdaltagent.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the agent's settings come from: the environment, over the configuration file, over the
 * defaults. {@link EnvConfig} asks this class for each setting by its variable name and validates
 * it; this class only knows where a value came from.
 *
 * <p><b>The file.</b> {@code PDAGENTD_CONFIG_FILE} when set (it must then exist and be readable),
 * else {@value #DEFAULT_FILE_NAME} when that file exists, else none. It is YAML: one mapping whose
 * keys are the environment variables' own names, spelled exactly as in the environment
 * ({@code PDAGENTD_HTTP_PORT: 8080}, {@code HTTPS_PROXY: http://proxy:3128}); a scalar is taken as its
 * text, a list or mapping is kept as its JSON text with its {@link Shape} (the setting's reader
 * joins a list into the comma list a list-valued variable takes, passes it on to a JSON-valued
 * setting, and refuses it for a single-valued one), and an empty value
 * ({@code KEY:} or {@code KEY: ~}) counts as unset, as an empty variable does. A key the agent does
 * not read is an error naming the key and its line ({@link #checkNoUnknownKeys}), so a typo never
 * passes silently; so are a duplicate key and a file that does not parse.
 *
 * <p><b>Precedence.</b> A variable set (not blank) in the environment wins over the file. The
 * configuration file's own variable is read from the environment only.
 *
 * <p>Built once at start, then read from one thread; {@link #get} may be called from any thread.
 */
public final class ConfigSources {
    public static final String CONFIG_FILE_VARIABLE = "PDAGENTD_CONFIG_FILE";
    public static final String DEFAULT_FILE_NAME = "/etc/pdaltagent/pdaltagent.yaml";
    /** A configuration file is a few dozen lines; anything this large is not one. */
    static final long MAX_FILE_BYTES = 1024 * 1024;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where a value came from. */
    public enum Origin { DEFAULT, FILE, ENV }

    /** What a value of the file is: YAML gives a scalar, a list or a mapping; the environment only scalars. */
    public enum Shape { SCALAR, LIST, MAP }

    /**
     * One setting's value.
     *
     * @param text the value, trimmed; never blank; for a list or mapping of the file, its JSON text
     * @param origin file or environment
     * @param where "environment", or the file and line ("/etc/pdaltagent/pdaltagent.yaml:12")
     * @param shape a scalar, or (from the file) a list or mapping; the setting's reader decides
     *     whether that shape fits it
     */
    public record Value(String text, Origin origin, String where, Shape shape) {
        /** A scalar value. */
        public Value(String text, Origin origin, String where) {
            this(text, origin, where, Shape.SCALAR);
        }
    }

    private final Map<String, String> env;
    private final Path file;
    private final Map<String, Value> fileValues;
    private final Set<String> read = ConcurrentHashMap.newKeySet();
    /** Every key asked for, in the order asked, with its default (null: none). */
    private final Map<String, String> defaults = Collections.synchronizedMap(new LinkedHashMap<>());

    private ConfigSources(Map<String, String> env, Path file, Map<String, Value> fileValues) {
        this.env = env;
        this.file = file;
        this.fileValues = fileValues;
    }

    /** The environment only, no file (tests, and callers that already hold every setting in a map). */
    public static ConfigSources fromEnv(Map<String, String> env) {
        return new ConfigSources(Map.copyOf(env), null, Map.of());
    }

    /**
     * The file named by {@code PDAGENTD_CONFIG_FILE} in {@code env}, else {@code defaultFile} when it
     * exists, under the environment.
     *
     * @throws ConfigException naming the file (and the line) when it is missing, unreadable or garbled
     */
    public static ConfigSources load(Map<String, String> env, Path defaultFile) {
        String named = env.get(CONFIG_FILE_VARIABLE);
        Path file;
        if (named != null && !named.isBlank()) {
            try {
                file = Path.of(named.trim());
            } catch (RuntimeException e) {
                throw new ConfigException(CONFIG_FILE_VARIABLE + ": '" + named + "' is not a path");
            }
            if (!Files.exists(file)) {
                throw new ConfigException(CONFIG_FILE_VARIABLE + ": " + file + " does not exist");
            }
        } else if (defaultFile != null && Files.exists(defaultFile)) {
            file = defaultFile;
        } else {
            return fromEnv(env);
        }
        return new ConfigSources(Map.copyOf(env), file, parse(file));
    }

    /** The setting's text (trimmed), or null when it is unset everywhere. Marks the key as known. */
    public String get(String name) {
        Value v = value(name);
        return v == null ? null : v.text();
    }

    /** The setting with its origin, or null when it is unset everywhere. Marks the key as known. */
    public Value value(String name) {
        read.add(name);
        defaults.putIfAbsent(name, null);
        // an empty value in the file is kept for the unknown-key check, and counts as unset
        return lookup(name);
    }

    /**
     * A message about a setting, prefixed with where its value is when that is the file:
     * {@code "/etc/pdaltagent/pdaltagent.yaml:7: HTTPS_PROXY: why"}, else {@code "HTTPS_PROXY: why"}.
     * Does not count as reading the setting.
     */
    public String describe(String name, String why) {
        Value v = lookup(name);
        String message = name + ": " + why;
        return v != null && v.origin() == Origin.FILE ? v.where() + ": " + message : message;
    }

    /**
     * A configuration error raised after loading (by a stage that checks a setting at start: the
     * proxies, the TLS files, the CA bundle) with the file and line of the setting it names first,
     * when that setting's value is the file's: {@code "KEY: why"} becomes {@code "FILE:LINE: KEY: why"}.
     * Any other error is returned as it is.
     */
    public ConfigException locate(ConfigException e) {
        String m = e.getMessage();
        java.util.regex.Matcher k = LEADING_KEY.matcher(m == null ? "" : m);
        if (!k.lookingAt()) {
            return e;
        }
        Value v = lookup(k.group(1));
        if (v == null || v.origin() != Origin.FILE) {
            return e;
        }
        ConfigException located = new ConfigException(v.where() + ": " + m);
        located.initCause(e);
        return located;
    }

    /** "KEY: " or "KEY and OTHER_KEY ..." at the start of a message. */
    private static final java.util.regex.Pattern LEADING_KEY = java.util.regex.Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)(?=[: ])");

    /** The configuration file in use, or null. */
    public Path file() {
        return file;
    }

    /**
     * Fails on the first key of the file that no setting read; call it after every setting was read.
     *
     * @throws ConfigException "FILE:LINE: unknown key 'X'"
     */
    public void checkNoUnknownKeys() {
        for (Map.Entry<String, Value> e : fileValues.entrySet()) {
            if (!read.contains(e.getKey())) {
                throw new ConfigException(e.getValue().where() + ": unknown key '" + e.getKey()
                        + "' (the keys are the environment variables' names, e.g. PDAGENTD_HTTP_PORT; see pdagentd --help)");
            }
        }
    }

    /** Records the default a setting takes when unset, for {@link #effective}. */
    public void noteDefault(String name, String def) {
        if (def != null) {
            defaults.put(name, def);
        }
    }

    /**
     * Every setting read so far, in the order read, with its value and origin: the environment's or
     * the file's value, else the default ({@link Origin#DEFAULT}, "default"), else null (unset, no default).
     */
    public Map<String, Value> effective() {
        Map<String, Value> out = new LinkedHashMap<>();
        synchronized (defaults) {
            for (Map.Entry<String, String> e : defaults.entrySet()) {
                Value v = lookup(e.getKey());
                if (v == null && e.getValue() != null) {
                    v = new Value(e.getValue(), Origin.DEFAULT, "default");
                }
                out.put(e.getKey(), v);
            }
        }
        return out;
    }

    private Value lookup(String name) {
        String e = env.get(name);
        if (e != null && !e.isBlank()) {
            return new Value(e.trim(), Origin.ENV, "environment");
        }
        Value f = fileValues.get(name);
        return f == null || f.text().isEmpty() ? null : f;
    }

    private static Map<String, Value> parse(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new ConfigException(file + ": the configuration file is over " + MAX_FILE_BYTES / 1024 + " KB");
            }
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
            }
        } catch (AccessDeniedException e) {
            throw new ConfigException(file + ": cannot read the configuration file (permission denied)");
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": the configuration file does not exist");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the configuration file (" + e.getMessage() + ")");
        }
        Map<String, Value> values = new LinkedHashMap<>();
        try (JsonParser p = YAML.getFactory().createParser(bytes)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return values; // an empty file: no settings
            }
            if (t != JsonToken.START_OBJECT) {
                throw new ConfigException(file + ":" + p.currentTokenLocation().getLineNr()
                        + ": the configuration file must be a mapping of KEY: value lines");
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                int line = p.currentTokenLocation().getLineNr();
                String where = file + ":" + line;
                if (values.containsKey(key)) {
                    throw new ConfigException(where + ": key '" + key + "' appears twice (first at "
                            + values.get(key).where() + ")");
                }
                JsonToken v = p.nextToken();
                Shape shape = switch (v) {
                    case START_ARRAY -> Shape.LIST;
                    case START_OBJECT -> Shape.MAP;
                    default -> Shape.SCALAR;
                };
                String text = switch (v) {
                    case VALUE_NULL -> null;
                    case START_ARRAY, START_OBJECT -> JSON.writeValueAsString(p.<JsonNode>readValueAsTree());
                    default -> p.getText();
                };
                if (text != null && !text.isBlank()) {
                    values.put(key, new Value(text.trim(), Origin.FILE, where, shape));
                } else {
                    // an empty value is "unset", but the key is still checked for being known
                    values.put(key, new Value("", Origin.FILE, where));
                }
            }
            if (p.nextToken() != null) {
                throw new ConfigException(file + ":" + p.currentTokenLocation().getLineNr()
                        + ": only one YAML document is allowed");
            }
        } catch (JacksonException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new ConfigException(file + (line > 0 ? ":" + line : "") + ": the configuration file is not valid YAML ("
                    + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the configuration file (" + e.getMessage() + ")");
        }
        return Collections.unmodifiableMap(values);
    }
}
