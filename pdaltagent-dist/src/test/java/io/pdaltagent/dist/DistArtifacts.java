package io.pdaltagent.dist;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the dist build put its artifacts: the failsafe configuration passes
 * {@code pdaltagent.dist.dir} (the module's target/) and {@code pdaltagent.version}. Immutable.
 */
final class DistArtifacts {
    private DistArtifacts() {
    }

    static String version() {
        return System.getProperty("pdaltagent.version", "");
    }

    static Path distDir() {
        String dir = System.getProperty("pdaltagent.dist.dir");
        if (dir == null) {
            throw new IllegalStateException("pdaltagent.dist.dir is not set: run the tests through bin/mvnw -Pdist verify");
        }
        return Path.of(dir);
    }

    /** target/pdaltagent-VERSION-linux-x64.tar.gz, which must exist. */
    static Path tarball() {
        return existing(distDir().resolve("pdaltagent-" + version() + "-linux-x64.tar.gz"));
    }

    /** target/pdaltagent_DEBVERSION_amd64.deb (a Maven "-" becomes Debian's "~"), which must exist. */
    static Path deb() {
        return existing(distDir().resolve("pdaltagent_" + version().replace('-', '~') + "_amd64.deb"));
    }

    /** A file of the project tree (the root is the dist module's parent). */
    static Path projectFile(String relative) {
        return existing(distDir().getParent().getParent().resolve(relative));
    }

    /** A script of src/test/sh. */
    static Path testScript(String name) {
        return existing(distDir().getParent().resolve("src/test/sh").resolve(name));
    }

    private static Path existing(Path p) {
        if (!Files.exists(p)) {
            throw new IllegalStateException(p + " is missing: the dist build (bin/mvnw -Pdist package) makes it");
        }
        return p;
    }
}
