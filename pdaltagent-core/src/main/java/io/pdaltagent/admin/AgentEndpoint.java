package io.pdaltagent.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The running agent's admin endpoint, written into its data dir so that {@code pd-queue} finds the
 * agent with nothing but the data dir known (as PagerDuty Agent's {@code pd-queue} did), whatever
 * ports it listens on: {@code <data dir>/admin-endpoint.json},
 * <pre>{@code {"url":"http://127.0.0.1:8081","instance":"<uuid>","pid":1234,"token":"..."|null}}</pre>
 *
 * <p><b>Who may read it.</b> It may hold the admin token, so it is written with mode {@code 0600}
 * (the agent's user only), or {@code 0640} with group {@value #MANAGER_GROUP} when the data dir
 * belongs to that group: the members of {@value #MANAGER_GROUP} are the users allowed to manage the
 * queue. It is written atomically (a temporary file with those permissions from its creation,
 * flushed, renamed over the old one) and removed at a clean stop.
 *
 * <p><b>A stale file</b> (the agent was killed) must not mislead: the {@code instance} is a random id
 * of this start, which the agent also serves at {@value #IDENTITY_PATH}; {@code pd-queue} uses the
 * file only when the URL answers with the same instance ({@link AgentIdentityHandler}).
 *
 * <p>Static methods; the file system is the only state.
 */
public final class AgentEndpoint {
    public static final String FILE_NAME = "admin-endpoint.json";
    /** The group whose members may read the endpoint (and so the token) when the data dir is theirs. */
    public static final String MANAGER_GROUP = "pdaltagent";
    public static final String IDENTITY_PATH = "/admin/v1/agent";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_READ = PosixFilePermissions.fromString("rw-r-----");

    /**
     * What the file says.
     *
     * @param url the admin listener
     * @param instance the random id of the agent's start
     * @param token the admin token, or null
     */
    public record Endpoint(URI url, String instance, String token) {
        @Override
        public String toString() {
            return "Endpoint[url=" + url + ", instance=" + instance + ", token=" + (token == null ? "none" : "<masked>") + "]";
        }
    }

    private AgentEndpoint() {
    }

    /** A new random instance id. */
    public static String newInstance() {
        return UUID.randomUUID().toString();
    }

    /** Writes the file atomically; returns its path. */
    public static Path write(Path dataDir, Endpoint endpoint) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("url", endpoint.url().toString());
        doc.put("instance", endpoint.instance());
        doc.put("pid", ProcessHandle.current().pid());
        doc.put("token", endpoint.token());
        byte[] bytes = JSON.writeValueAsBytes(doc);
        Path target = dataDir.resolve(FILE_NAME);
        Path tmp = dataDir.resolve("." + FILE_NAME + "." + endpoint.instance() + ".tmp");
        GroupPrincipal managers = managerGroup(dataDir);
        Files.deleteIfExists(tmp);
        boolean posix = Files.getFileAttributeView(dataDir, PosixFileAttributeView.class) != null;
        if (posix) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            Files.createFile(tmp);
        }
        try {
            if (managers != null) {
                try {
                    Files.getFileAttributeView(tmp, PosixFileAttributeView.class).setGroup(managers);
                    Files.setPosixFilePermissions(tmp, GROUP_READ);
                } catch (FileSystemException e) {
                    // the agent's user is not in the group: the file stays the agent's own (0600)
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /**
     * The file's content, or null when there is none.
     *
     * @throws IOException unreadable (e.g. permission denied: the caller is not allowed to manage the queue)
     */
    public static Endpoint read(Path dataDir) throws IOException {
        Path f = dataDir.resolve(FILE_NAME);
        byte[] bytes;
        try {
            if (Files.size(f) > 64 * 1024) {
                throw new IOException(f + " is not an endpoint file (over 64 KB)");
            }
            bytes = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return null;
        } catch (AccessDeniedException e) {
            throw new IOException("cannot read " + f + " (permission denied: run pd-queue as the agent's user"
                    + " or a member of the " + MANAGER_GROUP + " group)");
        }
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (IOException e) {
            return null; // half a file cannot happen (atomic rename); anything else is not ours
        }
        if (n == null || !n.path("url").isTextual() || !n.path("instance").isTextual()) {
            return null;
        }
        try {
            return new Endpoint(URI.create(n.get("url").textValue()), n.get("instance").textValue(),
                    n.path("token").isTextual() ? n.get("token").textValue() : null);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Removes the file if it is still this instance's (a newer agent's file is left alone). */
    public static void remove(Path dataDir, String instance) {
        try {
            Endpoint e = read(dataDir);
            if (e != null && e.instance().equals(instance)) {
                Files.deleteIfExists(dataDir.resolve(FILE_NAME));
            }
        } catch (IOException e) {
            // a stale file is recognised as such by pd-queue; nothing to do at a stop
        }
    }

    /** The {@value #MANAGER_GROUP} group when it owns the data dir, else null. */
    private static GroupPrincipal managerGroup(Path dataDir) {
        try {
            PosixFileAttributes a = Files.readAttributes(dataDir, PosixFileAttributes.class);
            return a.group() != null && MANAGER_GROUP.equals(a.group().getName()) ? a.group() : null;
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
