package io.pdaltagent.transform;

import io.pdaltagent.api.EventFilter;
import io.pdaltagent.api.EventSource;
import io.pdaltagent.api.WebhookFilter;
import io.pdaltagent.config.ConfigException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the plugins in {@code PDAGENTD_PLUGINS_DIR}: every {@code *.jar} there, in name order, on one
 * class loader whose parent is the agent's (so plugins see {@code io.pdaltagent.api}), and from it
 * by {@link ServiceLoader} every {@link EventFilter}, {@link WebhookFilter} and {@link EventSource}.
 * A plugin class that cannot be loaded or constructed stops the agent at start with a message
 * naming the class (a plugin that silently did not load would be worse). Loaded once, at start.
 */
public final class Plugins {
    private static final Logger LOG = LoggerFactory.getLogger(Plugins.class);
    /** More plugin jars than this in one directory is a mistake (the directory of something else). */
    static final int MAX_JARS = 100;

    public static final Plugins NONE = new Plugins(List.of(), List.of(), List.of());

    private final List<EventFilter> eventFilters;
    private final List<WebhookFilter> webhookFilters;
    private final List<EventSource> eventSources;

    private Plugins(List<EventFilter> eventFilters, List<WebhookFilter> webhookFilters, List<EventSource> eventSources) {
        this.eventFilters = List.copyOf(eventFilters);
        this.webhookFilters = List.copyOf(webhookFilters);
        this.eventSources = List.copyOf(eventSources);
    }

    /** Loads the jars of {@code dir}; throws {@link ConfigException} naming the variable and the plugin. */
    public static Plugins load(Path dir) {
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    jars.add(p);
                }
            }
        } catch (IOException e) {
            throw new ConfigException("PDAGENTD_PLUGINS_DIR: " + dir + " cannot be read: " + e.getMessage());
        }
        if (jars.size() > MAX_JARS) {
            throw new ConfigException("PDAGENTD_PLUGINS_DIR: more than " + MAX_JARS + " jars in " + dir);
        }
        jars.sort(null);
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = jars.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new ConfigException("PDAGENTD_PLUGINS_DIR: " + jars.get(i) + " is no usable path");
            }
        }
        // never closed: the plugins' classes live as long as the agent
        URLClassLoader loader = new URLClassLoader("pdaltagent-plugins", urls, Plugins.class.getClassLoader());
        Plugins p = new Plugins(load(EventFilter.class, loader), load(WebhookFilter.class, loader),
                load(EventSource.class, loader));
        LOG.info("Plugins from {} ({} jar(s)): event filters {}, webhook filters {}, event sources {}", dir, jars.size(),
                p.eventFilters.stream().map(EventFilter::name).toList(),
                p.webhookFilters.stream().map(WebhookFilter::name).toList(),
                p.eventSources.stream().map(EventSource::name).toList());
        return p;
    }

    private static <T> List<T> load(Class<T> type, ClassLoader loader) {
        List<T> out = new ArrayList<>();
        try {
            for (ServiceLoader.Provider<T> provider : ServiceLoader.load(type, loader).stream().toList()) {
                if (provider.type().getClassLoader() != loader) {
                    continue; // on the agent's own class path, not a plugin of this directory
                }
                try {
                    out.add(provider.get());
                } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                    throw new ConfigException("PDAGENTD_PLUGINS_DIR: the " + type.getSimpleName() + " plugin "
                            + provider.type().getName() + " cannot be created: " + e);
                }
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            throw new ConfigException("PDAGENTD_PLUGINS_DIR: a " + type.getSimpleName() + " plugin cannot be loaded: " + e);
        }
        return out;
    }

    public List<EventFilter> eventFilters() {
        return eventFilters;
    }

    /** Defined for the webhook relay, which applies them before it queues a webhook. */
    public List<WebhookFilter> webhookFilters() {
        return webhookFilters;
    }

    public List<EventSource> eventSources() {
        return eventSources;
    }
}
