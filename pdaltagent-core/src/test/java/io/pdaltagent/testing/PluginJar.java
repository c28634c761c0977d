package io.pdaltagent.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/**
 * Builds a plugin jar in a test, as a plugin author would: compiles Java sources against the test's
 * class path (which holds pdaltagent-api), and writes the classes plus
 * {@code META-INF/services/<interface>} files into a jar.
 *
 * <pre>{@code
 * Path jar = PluginJar.builder()
 *         .source("p.Enrich", "package p; public class Enrich implements io.pdaltagent.api.EventFilter {...}")
 *         .service("io.pdaltagent.api.EventFilter", "p.Enrich")
 *         .write(dir.resolve("enrich.jar"));
 * }</pre>
 */
public final class PluginJar {
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final Map<String, List<String>> services = new LinkedHashMap<>();

    public static PluginJar builder() {
        return new PluginJar();
    }

    public PluginJar source(String className, String source) {
        sources.put(className, source);
        return this;
    }

    public PluginJar service(String iface, String impl) {
        services.computeIfAbsent(iface, k -> new ArrayList<>()).add(impl);
        return this;
    }

    /** Compiles and writes the jar; throws with the compiler's messages when a source does not compile. */
    public Path write(Path jar) throws IOException {
        Path classes = Files.createTempDirectory("plugin-classes");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<JavaFileObject> units = new ArrayList<>();
        sources.forEach((name, src) -> units.add(new SimpleJavaFileObject(
                URI.create("string:///" + name.replace('.', '/') + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return src;
            }
        }));
        StringWriter messages = new StringWriter();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            fm.setLocation(StandardLocation.CLASS_OUTPUT, List.of(classes.toFile()));
            boolean ok = javac.getTask(messages, fm, null,
                    List.of("--release", "21", "-classpath", System.getProperty("java.class.path")), null, units).call();
            if (!ok) {
                throw new IOException("the plugin does not compile:\n" + messages);
            }
        }
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
            for (Map.Entry<String, List<String>> s : services.entrySet()) {
                out.putNextEntry(new JarEntry("META-INF/services/" + s.getKey()));
                out.write((String.join("\n", s.getValue()) + "\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return jar;
    }
}
